import type { CanonicalRecord } from '../../model/index.js';
import type { Connector, SourceItem } from '../contract.js';
import { readJsonRecords } from '../shared/json-records.js';
import { bundleTasks, isBundle, newContext, recordTask, type Task } from './route.js';

const DETECT = [
  /^\s*\{\s*"(?:GET )?(?:https:\/\/api\.github\.com)?\/(?:orgs|repos)\//, // a bundle keyed by API path
  /"app_slug"\s*:/, /"token_id"\s*:[\s\S]{0,2000}"token_name"/, /"credential_id"\s*:[\s\S]{0,400}"credential_type"/,
  /"membersWithRole"/, /"path"\s*:\s*"\.github\/workflows\//, /"url"\s*:\s*"https:\/\/api\.github\.com\/repos\/[^"]+\/keys\/\d+"/,
  /"organizationVerifiedDomainEmails"|"hasTwoFactorEnabled"/,
];

/**
 * GitHub organization inventory from REST and GraphQL API responses: members (with roles, 2FA,
 * verified emails and SAML identities), GitHub App installations and their permissions, fine-grained
 * personal access tokens granted to the org, classic tokens and SSH keys authorized for SAML SSO,
 * deploy keys, and the cloud identities workflows reach with Actions OIDC.
 */
export const connector: Connector = {
  name: 'github-inventory',
  title: 'GitHub organization inventory (members, apps, tokens, deploy keys, Actions OIDC)',
  category: 'inventory',
  produces: 'gh api responses saved as {"<API path>": <response>} (GET /orgs/ORG/members, /installations, /personal-access-tokens, /credential-authorizations, /repos/O/R/keys, /repos/O/R/contents/.github/workflows/F); or one such response per file',
  detect(sample) {
    if (/"secret_type"\s*:/.test(sample.head) && !DETECT[0].test(sample.head)) return 0;
    return DETECT.some((re) => re.test(sample.head)) ? 0.9 : 0;
  },
  async *parse(file, options) {
    let index = 0;
    for await (const batch of readJsonRecords(file, ['installations', 'repositories'])) {
      const items: SourceItem[] = [];
      for (const r of batch) {
        if (r.error !== undefined) {
          items.push({ index: index++, line: r.line, reject: r.error });
          continue;
        }
        const tasks: Task[] = isBundle(r.value) ? bundleTasks(r.value, options.now, file.path) : [recordTask(r.value, newContext(options.now))];
        for (const task of tasks) {
          let result: CanonicalRecord[] | CanonicalRecord[][];
          try {
            result = task();
          } catch (e) {
            items.push({ index: index++, line: r.line, reject: (e as Error).message });
            continue;
          }
          // Some records (a GraphQL organization) hold many: one item each, so counts stay per member.
          if (result.length && Array.isArray(result[0])) for (const records of result as CanonicalRecord[][]) items.push({ index: index++, line: r.line, records });
          else items.push({ index: index++, line: r.line, records: result as CanonicalRecord[] });
        }
      }
      yield items;
    }
  },
};
