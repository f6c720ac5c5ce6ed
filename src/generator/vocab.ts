import ipaddr from 'ipaddr.js';
import type { Rng } from './rng.js';

/** The fictional company. `.example` is reserved, so no generated address or bucket is someone's real one. */
export const ORG = { name: 'Corvid Labs', slug: 'corvidlabs', domain: 'corvidlabs.example', github: 'corvidlabs' } as const;

export const FIRST_NAMES = [
  'Ava', 'Liam', 'Noah', 'Emma', 'Olivia', 'Mateo', 'Sofia', 'Lucas', 'Mia', 'Ethan', 'Amara', 'Kenji', 'Priya', 'Arjun',
  'Chen', 'Wei', 'Fatima', 'Omar', 'Leila', 'Yusuf', 'Ingrid', 'Lars', 'Freya', 'Jonas', 'Elena', 'Marco', 'Giulia',
  'Luca', 'Chloe', 'Hugo', 'Camille', 'Louis', 'Zoe', 'Daniel', 'Grace', 'Samuel', 'Hannah', 'Isaac', 'Maya', 'Owen',
  'Nora', 'Caleb', 'Ruby', 'Felix', 'Iris', 'Theo', 'Clara', 'Leo', 'Alice', 'Oscar', 'Lena', 'Kofi', 'Adaeze', 'Tariq',
  'Yara', 'Diego', 'Lucia', 'Rafael', 'Ana', 'Pedro', 'Sara', 'Nikolai', 'Anya', 'Dmitri', 'Katya', 'Haruto', 'Yui',
  'Min-jun', 'Ji-woo', 'Aarav', 'Diya', 'Rohan', 'Ananya', 'Thabo', 'Naledi', 'Sean', 'Aoife', 'Ciaran', 'Niamh', 'Erik',
  'Astrid', 'Mikael', 'Saga', 'Tomas', 'Petra', 'Jakub', 'Zuzana', 'Ali', 'Zeynep', 'Emre', 'Elif', 'Kai', 'Luna',
  'Ezra', 'Stella', 'Miles', 'Hazel', 'Jasper', 'Violet', 'Rowan', 'Quinn',
];
export const LAST_NAMES = [
  'Smith', 'Johnson', 'Garcia', 'Martinez', 'Chen', 'Wang', 'Patel', 'Shah', 'Kim', 'Park', 'Nguyen', 'Tran', 'Okafor',
  'Adeyemi', 'Mensah', 'Haddad', 'Nasser', 'Cohen', 'Levi', 'Muller', 'Schmidt', 'Fischer', 'Weber', 'Rossi', 'Russo',
  'Bianchi', 'Dubois', 'Moreau', 'Laurent', 'Silva', 'Santos', 'Costa', 'Oliveira', 'Ivanov', 'Petrova', 'Sokolov',
  'Tanaka', 'Sato', 'Suzuki', 'Yamamoto', 'Singh', 'Kumar', 'Reddy', 'Iyer', 'Murphy', 'Kelly', 'Byrne', 'OBrien',
  'Andersson', 'Johansson', 'Nilsson', 'Larsen', 'Hansen', 'Novak', 'Horvat', 'Kowalski', 'Nowak', 'Yilmaz', 'Demir',
  'Kaya', 'Brown', 'Taylor', 'Wilson', 'Walker', 'Hughes', 'Clarke', 'Lewis', 'Young', 'Hall', 'Allen', 'Wright',
  'Scott', 'Green', 'Baker', 'Adams', 'Nelson', 'Hill', 'Campbell', 'Mitchell', 'Roberts', 'Carter', 'Phillips',
  'Evans', 'Turner', 'Torres', 'Ramirez', 'Flores', 'Rivera', 'Gomez', 'Diaz', 'Reyes', 'Cruz', 'Morales', 'Ortiz',
  'Gutierrez', 'Chavez', 'Ramos', 'Ruiz', 'Alvarez', 'Mendoza',
];

export interface TeamSpec {
  name: string;
  engineering: boolean;
  /** Share of the headcount. */
  weight: number;
  titles: string[];
}

export const TEAMS: TeamSpec[] = [
  { name: 'Platform', engineering: true, weight: 6, titles: ['Platform Engineer', 'Senior Platform Engineer', 'Staff Engineer'] },
  { name: 'SRE', engineering: true, weight: 4, titles: ['Site Reliability Engineer', 'Senior SRE'] },
  { name: 'Payments', engineering: true, weight: 6, titles: ['Software Engineer', 'Senior Software Engineer', 'Backend Engineer'] },
  { name: 'Ledger', engineering: true, weight: 4, titles: ['Software Engineer', 'Senior Software Engineer'] },
  { name: 'Data', engineering: true, weight: 6, titles: ['Data Engineer', 'Senior Data Engineer', 'Analytics Engineer'] },
  { name: 'ML', engineering: true, weight: 3, titles: ['ML Engineer', 'Applied Scientist'] },
  { name: 'Identity', engineering: true, weight: 3, titles: ['Software Engineer', 'Senior Software Engineer'] },
  { name: 'Web', engineering: true, weight: 5, titles: ['Frontend Engineer', 'Senior Frontend Engineer', 'Full Stack Engineer'] },
  { name: 'Mobile', engineering: true, weight: 4, titles: ['iOS Engineer', 'Android Engineer', 'Mobile Engineer'] },
  { name: 'Search', engineering: true, weight: 3, titles: ['Software Engineer', 'Search Engineer'] },
  { name: 'Integrations', engineering: true, weight: 3, titles: ['Integration Engineer', 'Software Engineer'] },
  { name: 'Security', engineering: true, weight: 3, titles: ['Security Engineer', 'Senior Security Engineer', 'Cloud Security Engineer'] },
  { name: 'Growth', engineering: true, weight: 3, titles: ['Software Engineer', 'Growth Engineer'] },
  { name: 'IT', engineering: true, weight: 2, titles: ['IT Administrator', 'Systems Administrator'] },
  { name: 'Finance', engineering: false, weight: 5, titles: ['Financial Analyst', 'Accountant', 'Controller'] },
  { name: 'People', engineering: false, weight: 3, titles: ['People Partner', 'Recruiter', 'HR Generalist'] },
  { name: 'Sales', engineering: false, weight: 10, titles: ['Account Executive', 'Sales Development Rep', 'Solutions Engineer'] },
  { name: 'Support', engineering: false, weight: 8, titles: ['Support Specialist', 'Support Engineer', 'Customer Success Manager'] },
  { name: 'Marketing', engineering: false, weight: 5, titles: ['Marketing Manager', 'Content Strategist', 'Designer'] },
  { name: 'Legal', engineering: false, weight: 2, titles: ['Counsel', 'Paralegal', 'Compliance Analyst'] },
  { name: 'Product', engineering: false, weight: 4, titles: ['Product Manager', 'Senior Product Manager', 'Product Designer'] },
];

/** Services own the workloads; each belongs to an engineering team. */
export const SERVICES: { name: string; team: string }[] = [
  { name: 'payments', team: 'Payments' }, { name: 'checkout', team: 'Payments' }, { name: 'refunds', team: 'Payments' },
  { name: 'payouts', team: 'Payments' }, { name: 'fraud', team: 'Payments' }, { name: 'ledger', team: 'Ledger' },
  { name: 'reconciliation', team: 'Ledger' }, { name: 'invoicing', team: 'Ledger' }, { name: 'billing', team: 'Ledger' },
  { name: 'customer', team: 'Identity' }, { name: 'auth', team: 'Identity' }, { name: 'accounts', team: 'Identity' },
  { name: 'kyc', team: 'Identity' }, { name: 'warehouse', team: 'Data' }, { name: 'ingest', team: 'Data' },
  { name: 'reporting', team: 'Data' }, { name: 'analytics', team: 'Data' }, { name: 'etl', team: 'Data' },
  { name: 'features', team: 'ML' }, { name: 'training', team: 'ML' }, { name: 'inference', team: 'ML' },
  { name: 'web', team: 'Web' }, { name: 'storefront', team: 'Web' }, { name: 'cms', team: 'Web' },
  { name: 'mobile-api', team: 'Mobile' }, { name: 'push', team: 'Mobile' }, { name: 'search', team: 'Search' },
  { name: 'catalog', team: 'Search' }, { name: 'recommendations', team: 'Search' }, { name: 'partner-api', team: 'Integrations' },
  { name: 'webhooks', team: 'Integrations' }, { name: 'connectors', team: 'Integrations' }, { name: 'notifications', team: 'Growth' },
  { name: 'email', team: 'Growth' }, { name: 'campaigns', team: 'Growth' }, { name: 'observability', team: 'SRE' },
  { name: 'logging', team: 'SRE' }, { name: 'backup', team: 'SRE' }, { name: 'gateway', team: 'Platform' },
  { name: 'scheduler', team: 'Platform' }, { name: 'deploy', team: 'Platform' }, { name: 'secrets', team: 'Security' },
  { name: 'scanner', team: 'Security' }, { name: 'audit', team: 'Security' }, { name: 'helpdesk', team: 'IT' },
  { name: 'inventory', team: 'Platform' }, { name: 'pricing', team: 'Payments' }, { name: 'shipping', team: 'Integrations' },
];

export type WorkloadKind = 'ecs' | 'lambda' | 'ec2' | 'batch' | 'glue' | 'states';

export const COMPONENTS: { name: string; kind: WorkloadKind }[] = [
  { name: 'api', kind: 'ecs' }, { name: 'worker', kind: 'ecs' }, { name: 'consumer', kind: 'ecs' }, { name: 'scheduler', kind: 'lambda' },
  { name: 'migrator', kind: 'ecs' }, { name: 'indexer', kind: 'ecs' }, { name: 'exporter', kind: 'lambda' }, { name: 'sync', kind: 'lambda' },
  { name: 'cron', kind: 'lambda' }, { name: 'webhook', kind: 'lambda' }, { name: 'gateway', kind: 'ec2' }, { name: 'cache', kind: 'ec2' },
  { name: 'node', kind: 'ec2' }, { name: 'bastion', kind: 'ec2' }, { name: 'batch', kind: 'batch' }, { name: 'backfill', kind: 'batch' },
  { name: 'crawler', kind: 'glue' }, { name: 'transform', kind: 'glue' }, { name: 'workflow', kind: 'states' }, { name: 'processor', kind: 'lambda' },
  { name: 'publisher', kind: 'lambda' }, { name: 'reader', kind: 'ecs' }, { name: 'writer', kind: 'ecs' }, { name: 'admin', kind: 'ecs' },
  { name: 'proxy', kind: 'ec2' }, { name: 'runner', kind: 'ec2' }, { name: 'notifier', kind: 'lambda' }, { name: 'archiver', kind: 'lambda' },
];
export const ROLE_VARIANTS = ['', '-v2', '-eu', '-blue', '-green', '-canary', '-internal', '-public', '-replica', '-shadow', '-v3', '-east', '-west', '-ro', '-rw'];

export const SERVICE_USER_PURPOSES = [
  'deploy', 'etl', 'reporting', 'backup', 'sync', 'export', 'uploader', 'integration', 'batch', 'smtp', 'monitoring',
  'loader', 'archiver', 'replicator', 'importer', 'metrics', 'scraper', 'bot', 'cli', 'jenkins', 'terraform', 'ansible',
];

/** AWS service principal of each workload kind. */
export const SERVICE_PRINCIPAL: Record<WorkloadKind, string> = {
  ecs: 'ecs-tasks.amazonaws.com', lambda: 'lambda.amazonaws.com', ec2: 'ec2.amazonaws.com', batch: 'ecs-tasks.amazonaws.com',
  glue: 'glue.amazonaws.com', states: 'states.amazonaws.com',
};

/** Third-party SaaS vendors that integrate through cross-account roles (fictional names). */
export const VENDORS = [
  { name: 'Stackwise', product: 'cloud posture monitoring', policy: 'SecurityAudit' },
  { name: 'Metricloud', product: 'infrastructure metrics', policy: 'ReadOnlyAccess' },
  { name: 'Costlens', product: 'cloud cost reporting', policy: 'ReadOnlyAccess' },
  { name: 'Opsbridge', product: 'incident automation', policy: 'AdministratorAccess' },
  { name: 'Backvault', product: 'backup', policy: 'AdministratorAccess' },
] as const;

export const REGIONS = { primary: 'us-east-1', secondary: ['eu-west-1', 'us-west-2'] } as const;

/** Offices: a fixed UTC offset each (November: no daylight saving in either). */
export const OFFICES = [
  { name: 'New York', utcOffset: -5 },
  { name: 'Berlin', utcOffset: 1 },
  { name: 'Remote US', utcOffset: -6 },
] as const;

// ---- user agents, as CloudTrail records them ----

export const UA = {
  java: 'aws-sdk-java/2.25.60 Linux/5.10.226-214.880.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.12+7-LTS Java/17.0.12 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy',
  python: 'Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#5.10.226-214.880.amzn2.x86_64 md/arch#x86_64 lang/python#3.11.10 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.36',
  node: 'aws-sdk-js/3.679.0 ua/2.1 os/linux#5.10.226-214.880.amzn2.x86_64 lang/js md/nodejs#20.18.0 api/API m/E',
  go: 'aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/API#1.32.2 m/E',
  lambdaNode: 'aws-sdk-js/3.679.0 ua/2.1 os/linux#5.10.227-239.884.amzn2.x86_64 lang/js md/nodejs#20.18.0 exec-env/AWS_Lambda_nodejs20.x api/API m/E',
  lambdaPython: 'Boto3/1.34.145 md/Botocore#1.34.145 ua/2.0 os/linux#5.10.227-239.884.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.5 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.145',
  terraform: 'APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.72.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/API#1.32.2',
  ghaCli: 'aws-cli/2.18.10 md/awscrt#0.22.0 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off md/command#COMMAND',
  ghaAction: 'configure-aws-credentials-for-github-actions',
  cliMac: 'aws-cli/2.18.10 md/awscrt#0.22.0 ua/2.0 os/macos#23.6.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#COMMAND',
  cliLinux: 'aws-cli/2.17.52 md/awscrt#0.21.5 ua/2.0 os/linux#6.8.0-45-generic md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#COMMAND',
  chromeMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  chromeWin: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  firefox: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.6; rv:132.0) Gecko/20100101 Firefox/132.0',
  internal: 'AWS Internal',
} as const;

/** AI coding assistants driving the AWS CLI or an MCP server on an engineer's machine. */
export const AI_UA = [
  'aws-cli/2.18.10 md/awscrt#0.22.0 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython exec-env/claude-code cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#COMMAND',
  'Boto3/1.35.71 md/Botocore#1.35.71 ua/2.0 os/darwin#24.1.0 md/arch#arm64 lang/python#3.12.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.71 awslabs/mcp/aws-api-mcp-server/0.2.4 cursor',
  'aws-cli/2.18.10 md/awscrt#0.22.0 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython exec-env/github-copilot-agent cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#COMMAND',
] as const;

export const VENDOR_UA = [
  'aws-sdk-go-v2/1.30.4 ua/2.1 os/linux lang/go#1.22.6 md/GOOS#linux md/GOARCH#amd64 api/API#1.30.4 m/E,g',
  'Boto3/1.34.162 md/Botocore#1.34.162 ua/2.0 os/linux#6.1.112-124.190.amzn2023.x86_64 md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.162',
] as const;

/** A user agent with the API or command filled in, as the SDKs and the CLI append it. */
export function agentFor(template: string, eventSource: string, eventName: string): string {
  if (template.includes('api/API')) return template.replace('API', serviceOf(eventSource));
  if (template.includes('COMMAND')) return template.replace('COMMAND', `${serviceOf(eventSource)}.${kebab(eventName)}`);
  return template;
}

const kebabCache = new Map<string, string>();
function kebab(name: string): string {
  let k = kebabCache.get(name);
  if (!k) {
    k = name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
    kebabCache.set(name, k);
  }
  return k;
}
function serviceOf(eventSource: string): string {
  const dot = eventSource.indexOf('.');
  return dot < 0 ? eventSource : eventSource.slice(0, dot);
}

// ---- addresses ----

/** A public unicast IPv4 address (no private, reserved or documentation ranges). */
export function publicIp(rng: Rng, firstOctets?: readonly number[]): string {
  for (;;) {
    const a = firstOctets ? rng.pick(firstOctets) : rng.int(1, 223);
    const ip = `${a}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
    if (ipaddr.parse(ip).range() === 'unicast') return ip;
  }
}

export function privateIp(rng: Rng, prefix = '10'): string {
  return `${prefix}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(2, 254)}`;
}

/** First octets of the cloud ranges GitHub-hosted runners come from. */
export const GITHUB_RUNNER_OCTETS = [4, 13, 20, 40, 52, 172] as const;
/** First octets typical of cloud and hosting providers (where third-party SaaS and rented servers live). */
export const HOSTING_OCTETS = [3, 18, 34, 35, 44, 45, 54, 64, 66, 89, 91, 95, 104, 139, 141, 143, 146, 159, 165, 167, 178, 185, 188, 193, 194, 198, 209] as const;
