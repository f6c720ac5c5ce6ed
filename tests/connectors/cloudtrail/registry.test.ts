import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registry } from '../../../src/connectors/index.js';
import { openSourceFile } from '../../../src/connectors/shared/source-file.js';
import { DELIVERED, EVENTBRIDGE, LAKE, OWNERSHIP_FIXTURES, SIEM } from './helpers.js';

/** With every shipped connector competing (`--source auto`), these files go to the right one. */
describe('auto-detection among all connectors', () => {
  it.each([
    [DELIVERED, 'aws-cloudtrail'],
    [EVENTBRIDGE, 'aws-cloudtrail'],
    [SIEM, 'aws-cloudtrail'],
    [LAKE, 'aws-cloudtrail'],
    [join(OWNERSHIP_FIXTURES, 'hr-roster.csv'), 'hr-roster'],
    [join(OWNERSHIP_FIXTURES, 'ownership-map.csv'), 'ownership-map'],
    [join(OWNERSHIP_FIXTURES, 'ownership-map.yaml'), 'ownership-map'],
  ])('%s -> %s', async (path, name) => {
    const f = await openSourceFile(path);
    expect(registry.detect({ path, name: f.name, head: f.head })?.connector.name).toBe(name);
  });
});
