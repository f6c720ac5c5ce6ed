import { describe, expect, it } from 'vitest';
import { SKIP_DATASETS } from '../../helpers/datasets.js';
import { checkRows, expectValid, hasPanther, parsePanther, type Expected } from '../entra/panther.js';

/**
 * Every Panther rule test of Okta.SystemLog alone: a valid event with the actor, target and chain read
 * from the event by hand, or a reject naming the missing field. The rows below were checked against
 * the raw events (ids from actor.id / target[].id / transaction.detail.requestApiTokenId).
 */
const EXPECTED: Expected[] = [
  ["Okta.Support.Access|Support Access Granted", "okta:user:111111", null, {}],
  ["Okta.Support.Access|Login Event", "okta:user:111111", null, {}],
  ["Okta.Global.MFA.Disabled|MFA Disabled", "okta:user:111111", null, {}],
  ["Okta.AdminRoleAssigned|Admin Access Assigned", "okta:user:00uu1uuuuIlllaaaa356", "okta:user:00u6eup97mAJZWYmP357", {}],
  ["Okta.Anonymizing.VPN.Login|Other Event", "okta:user:00abc123", "okta:user:0002222AAAA", {"session":"100-abc-9999"}],
  ["Okta.Anonymizing.VPN.Login|Apple Private Relay Used", "okta:user:00abc123", "okta:user:0002222AAAA", {"session":"100-abc-9999"}],
  ["Okta.APIKeyCreated|API Key Created", "okta:user:00u3q14ei6KUOm4Xi2p4", "okta:api-token:00Tpki36zlWjhjQ1u2p4", {}],
  ["Okta.APIKeyRevoked|API Key Revoked", "okta:user:00u3q14ei6KUOm4Xi2p4", "okta:api-token:00Tpki36zlWjhjQ1u2p4", {}],
  ["Okta.Refresh.Access.Token.Reuse|Non-event", "okta:app:okta.1234.", "okta:user:abcd123", {"session":"123456789","onBehalfOf":"okta:user:abcd123"}],
  ["Okta.Refresh.Access.Token.Reuse|Reuse Event", "okta:app:okta.1234.", "okta:user:abcd123", {"session":"123456789","onBehalfOf":"okta:user:abcd123"}],
  ["Okta.App.Unauthorized.Access.Attempt|Other Event", "okta:user:00ABC123", "okta:app:12345", {"session":"xyz1234"}],
  ["Okta.Group.Admin.Role.Assigned|Non Event", "okta:user:00ABC123", "okta:app:12345", {"session":"xyz1234"}],
  ["Okta.Identity.Provider.Created.Modified|FastPass Phishing Block Event", "okta:user:00abc123", "okta:user:0002222AAAA", {"session":"100-abc-9999"}],
  ["Okta.Identity.Provider.SignIn|FastPass Phishing Block Event", "okta:user:00abc123", "okta:user:0002222AAAA", {"session":"100-abc-9999"}],
  ["Okta.Login.Success|Non-Login Event", "okta:user:00u99ped55av2JpGs5d7", "okta:url-pattern:/api/v1/logs", {"session":"trsxcsf59kYRG-GwAbWjw-PZA","credentialId":"okta:api-token:00T1bjatrp6Nl1dOc5d7"}],
  ["Okta.Login.Success|Successful Login", "okta:user:00ubewfku1EX0WCFk697", "okta:app:0oabewfkt83T8ve1o697", {"session":"idxvF50v_5sT2-GOA7_K0Amyw"}],
  ["Okta.Login.Success|Failed Login", "okta:user:00ubewfku1EX0WCFk697", "okta:app:0oabewfkt83T8ve1o697", {"session":"idxvF50v_5sT2-GOA7_K0Amyw"}],
  ["Okta.Login.Without.Push.Marker|Login with marker", "okta:user:00u99ped55av2JpGs5d7", "okta:url-pattern:/api/v1/logs", {"session":"trsxcsf59kYRG-GwAbWjw-PZA","credentialId":"okta:api-token:00T1bjatrp6Nl1dOc5d7"}],
  ["Okta.New.Behavior.Accessing.Admin.Console|New Behavior Accessing Admin Console (behavior)", "okta:user:00abc123", "okta:user:0002222AAAA", {"session":"100-abc-9999"}],
  ["Okta.New.Behavior.Accessing.Admin.Console|Not New Behavior", "okta:user:00abc123", "okta:user:0002222AAAA", {"session":"100-abc-9999"}],
  ["Okta.Org2org.Creation.Modification|Org2Org modified", "okta:user:00abc123", "okta:user:0002222AAAA", {"session":"100-abc-9999"}],
  ["Okta.Org2org.Creation.Modification|Not New Behavior", "okta:user:00abc123", "okta:user:0002222AAAA", {"session":"100-abc-9999"}],
  ["Okta.PasswordAccess|User accessed their own password", "okta:user:XXXXXXXXXXXXXXXX", "okta:app:16442ew83428795", {"session":"XXXXXXXXXXXXXXXXX"}],
  ["Okta.PasswordAccess|User accessed another user's password", "okta:user:XXXXXXXXXXXXXXXX", "okta:app:0oas6wl204Dn3gG5D696", {"session":"XXXXXXXXXXXXXXXXX"}],
  ["Okta.PasswordAccess|User accessed their own password - 2", "okta:user:00u3nwfjxxxxxxxxxxxx", "okta:app:11u3nwfjxxxxxxxxxxxx", {"session":"XXXXXXXXXXXXXXXXX"}],
  ["Okta.Password.Extraction.via.SCIM|Other Event", "okta:user:00abc123", "okta:user:0002222AAAA", {"session":"100-abc-9999","mfa":true}],
  ["Okta.Phishing.Attempt.Blocked.FastPass|Other Event", "okta:user:00abc123", "okta:user:0002222AAAA", {"session":"100-abc-9999","mfa":false}],
  ["Okta.Rate.Limits|system.org.ratelimit.warning", "okta:user:00abc456", "okta:url-pattern:/api/v1/users", {"session":"abc12345","credentialId":"okta:api-token:A.12345.DEFGH"}],
  ["Okta.Rate.Limits|system.operation.ratelimit.violation", "okta:user:00abc456", "okta:url-pattern:/app/{app}/{key}/", {"session":"abc12345"}],
  ["Okta.Rate.Limits|application.integration.rate_limit_exceeded", "okta:user:00abc456", "okta:app:12345", {"session":"abc12345"}],
  ["Okta.Rate.Limits|Non event", "okta:user:00ABC123", "okta:app:12345", {"session":"xyz1234"}],
  ["Okta.Rate.Limits|system.operation.ratelimit.violation - unknown altid", "okta:user:00abc456", "okta:url-pattern:/app/{app}/{key}/", {"session":"abc12345"}],
  ["Okta.Support.Reset|Support Reset Credential", "okta:user:1111111", "okta:user:1111111", {}],
  ["Okta.ThreatInsight.Security.Threat.Detected|Other Event", "okta:user:00abc456", "okta:app:12345", {"session":"abc12345"}],
  ["Okta.ThreatInsight.Security.Threat.Detected|Threat Detected Event - Deny", "okta:ip:1.2.3.4", null, {}],
  ["Okta.ThreatInsight.Security.Threat.Detected|Threat Detected Event - Success", "okta:ip:1.2.3.4", null, {}],
  ["Okta.User.Account.Locked|Non Event", "okta:user:00ABC123", "okta:app:12345", {"session":"xyz1234"}],
  ["Okta.User.MFA.Factor.Suspend|Other Event", "okta:user:00abc123", "okta:user:0002222AAAA", {"session":"100-abc-9999"}],
  ["Okta.User.MFA.Reset.All|Reset All Event", "okta:user:00abc123", "okta:user:0002222AAAA", {"session":"100-abc-9999"}],
  ["Okta.User.Reported.Suspicious.Activity|Other Event", "okta:user:00abc123", "okta:user:0002222AAAA", {"session":"100-abc-9999"}],
];

describe.skipIf(!hasPanther)(`Okta System Log conformance (panther-analysis)${hasPanther ? '' : ` (${SKIP_DATASETS})`}`, () => {
  it('parses 58 of the 66 Okta.SystemLog tests and rejects 8 for a missing or unreadable published', async () => {
    const { tests, connector, parsed } = await parsePanther('Okta.SystemLog');
    expect(connector).toBe('okta-system-log');
    expect(tests).toHaveLength(66);
    expect(parsed.items).toHaveLength(66);
    expect(parsed.items.length - parsed.rejects.length).toBe(58);
    expect(parsed.rejects.map((r) => r.reason).sort()).toEqual([
      ...Array(4).fill('missing published'),
      ...Array(4).fill('published: "redacted" is not a timestamp (expected ISO-8601)'),
    ]);
    for (const item of parsed.items) if (item.records) expectValid(item.records);
  });

  it(`gives the hand-checked actor, target and chain for ${EXPECTED.length} events`, async () => {
    const { byKey } = await parsePanther('Okta.SystemLog');
    expect(EXPECTED.length).toBeGreaterThanOrEqual(20);
    checkRows(byKey, EXPECTED);
  });

  it('rejects partial events for the field they lack', async () => {
    const { byKey } = await parsePanther('Okta.SystemLog');
    expect(byKey.get('Okta.SSO.to.AWS|AWS SSO via Okta')?.reject).toBe('missing published');
    expect(byKey.get('Okta.SSO.to.AWS|AWS SSO via Okta without app name')?.reject).toBe('missing published');
    expect(byKey.get('Okta.PotentiallyStolenSession|Different device & ASN')?.reject).toBe('published: "redacted" is not a timestamp (expected ISO-8601)');
  });

  it('turns ThreatInsight, user reports and token reuse into alerts linked to their events', async () => {
    const { parsed } = await parsePanther('Okta.SystemLog');
    const alerts = parsed.of('alert');
    expect(alerts.map((a) => a.rule).sort()).toEqual([
      'app.oauth2.token.detect_reuse', 'security.threat.detected', 'security.threat.detected', 'user.account.report_suspicious_activity_by_enduser',
    ]);
    const threat = alerts.find((a) => a.rule === 'security.threat.detected')!;
    expect(threat).toMatchObject({ source: 'okta', severity: 'medium', entities: { ip: ['1.2.3.4'] }, events: ['okta:log:asdfa-1234-asdfdas'] });
    expect(threat.title).toContain('Password Spray');
  });
});
