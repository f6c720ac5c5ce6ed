import type { Connector, SourceItem } from '../contract.js';
import { toItem } from '../contract.js';
import { readJsonRecords } from '../shared/json-records.js';
import { DEFAULT_CLUSTER, clusterName } from '../k8s-common/ids.js';
import { isObj, str, type Obj } from '../k8s-common/objects.js';
import { mapAuditEvent } from './map.js';

const EKS_LOG_GROUP = /\/aws\/eks\/([^/]+)\/cluster/;
const DETECT_AUDIT = /audit\.k8s\.io\/v1/;
const DETECT_AUDIT_FIELDS = /"auditID"|"requestReceivedTimestamp"|"stageTimestamp"/;
const DETECT_CLOUDWATCH = /"logGroup"\s*:\s*"\/aws\/eks\/|kube-apiserver-audit/;

/**
 * Kubernetes audit logs: the API server's own log (`--audit-log-path`, one JSON event per line), an
 * EventList, and EKS control-plane audit logs as CloudWatch Logs delivers them (subscription
 * `DATA_MESSAGE`s, `aws logs filter-log-events` / `get-log-events` output, Logs Insights JSON exports),
 * where each log event's `message` is the audit event as text.
 */
export const connector: Connector = {
  name: 'k8s-audit-log',
  title: 'Kubernetes audit log (incl. EKS via CloudWatch Logs)',
  category: 'log',
  produces: 'kube-apiserver --audit-log-path file; aws logs filter-log-events --log-group-name /aws/eks/CLUSTER/cluster --log-stream-name-prefix kube-apiserver-audit; CloudWatch Logs subscription to S3',
  detect(sample) {
    const head = sample.head;
    if (DETECT_AUDIT.test(head) && DETECT_AUDIT_FIELDS.test(head)) return 0.95;
    if (DETECT_CLOUDWATCH.test(head)) return 0.9;
    return 0;
  },
  async *parse(file, options) {
    let index = 0;
    for await (const batch of readJsonRecords(file, ['items', 'events'])) {
      const items: SourceItem[] = [];
      for (const r of batch) {
        const rawRef = `${file.path}#${r.index}`;
        if (r.error !== undefined) {
          items.push({ index: index++, line: r.line, reject: r.error });
          continue;
        }
        const v = r.value;
        if (isObj(v) && v.messageType === 'CONTROL_MESSAGE') {
          // CloudWatch's health check of the destination: a record of the file that holds no event.
          items.push({ index: index++, line: r.line, records: [] });
          continue;
        }
        if (isObj(v) && Array.isArray(v.logEvents)) {
          // A CloudWatch Logs subscription message: the cluster is in the log group's name.
          const cluster = options.cluster ?? clusterFromLogGroup(v.logGroup) ?? DEFAULT_CLUSTER;
          v.logEvents.forEach((le, i) => {
            items.push(toItem(index++, r.line, () => mapAuditEvent(unwrapMessage(le, `logEvents[${i}]`), cluster, `${rawRef}.${i}`)));
          });
          continue;
        }
        const cluster = options.cluster ?? (isObj(v) ? clusterFromLogGroup(v['@log'] ?? v.logGroup) : null) ?? DEFAULT_CLUSTER;
        items.push(toItem(index++, r.line, () => mapAuditEvent(eventOf(v), cluster, rawRef)));
      }
      yield items;
    }
  },
};

function clusterFromLogGroup(v: unknown): string | null {
  const s = str(v);
  const m = s ? EKS_LOG_GROUP.exec(s) : null;
  return m ? clusterName(m[1]) : null;
}

/** A record is the audit event itself or a CloudWatch log event carrying it as text. */
function eventOf(v: unknown): Obj {
  if (!isObj(v)) throw new Error(`expected an audit event object, found ${Array.isArray(v) ? 'an array' : typeof v}`);
  if (typeof v.message === 'string' || typeof v['@message'] === 'string') return unwrapMessage(v, 'event');
  return v;
}

function unwrapMessage(le: unknown, where: string): Obj {
  if (!isObj(le)) throw new Error(`${where} is not an object`);
  const text = str(le.message) ?? str(le['@message']);
  if (!text) throw new Error(`missing ${where}.message`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${where}.message is not a JSON audit event`);
  }
  if (!isObj(parsed)) throw new Error(`${where}.message is not a JSON audit event`);
  return parsed;
}
