#!/usr/bin/env node
// The idcopilot command. TypeScript runs through tsx: no build step between a clone and a run.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
