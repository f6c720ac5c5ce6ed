# The copilot's server image (used by docker-compose.yml). Runs as an unprivileged user.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY tools ./tools
COPY prompts ./prompts
USER node
ENTRYPOINT ["node", "bin/idcopilot.js"]
CMD ["--help"]
