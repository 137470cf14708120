/**
 * The observability stack's files, read from the repository and parsed: docker-compose.yml, the
 * collector, Tempo and Prometheus configs and rules in otel/, Grafana's provisioning and dashboards.
 * Paths are relative to the repository root, as they are written in docker-compose.yml.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

export type YamlObject = Record<string, unknown>;

export function repositoryPath(relativePath: string): string {
  return join(repositoryRoot, relativePath);
}

export function existsInRepository(relativePath: string): boolean {
  return existsSync(repositoryPath(relativePath));
}

export function readText(relativePath: string): string {
  return readFileSync(repositoryPath(relativePath), 'utf8');
}

export function readYaml(relativePath: string): YamlObject {
  const value: unknown = parse(readText(relativePath));
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${relativePath}: expected a YAML mapping`);
  return value as YamlObject;
}

export type Dashboard = {
  file: string;
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: TemplateVariable[] };
};

export type DatasourceRef = { type?: string; uid?: string } | string | null | undefined;

export type Panel = {
  id: number;
  type: string;
  title: string;
  datasource?: DatasourceRef;
  targets?: Target[];
  /** Panels inside a collapsed row. */
  panels?: Panel[];
  fieldConfig?: { defaults?: { links?: unknown[] }; overrides?: Array<{ properties?: Array<{ id: string; value: unknown }> }> };
};

export type Target = {
  refId: string;
  datasource?: DatasourceRef;
  expr?: string;
  exemplar?: boolean;
  query?: string;
  queryType?: string;
  rawSql?: string;
};

export type TemplateVariable = {
  name: string;
  type: string;
  datasource?: DatasourceRef;
  query?: string | { query: string };
  allValue?: string;
};

export const dashboardsFolder = 'grafana/dashboards';

export function loadDashboards(): Dashboard[] {
  return readdirSync(repositoryPath(dashboardsFolder))
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const file = `${dashboardsFolder}/${name}`;
      return { file, ...(JSON.parse(readText(file)) as Omit<Dashboard, 'file'>) };
    });
}

/** Every panel, rows' nested panels included, except the rows themselves. */
export function allPanels(dashboard: Dashboard): Panel[] {
  const panels: Panel[] = [];
  const visit = (list: Panel[]) => {
    for (const panel of list) {
      if (panel.type !== 'row') panels.push(panel);
      if (panel.panels) visit(panel.panels);
    }
  };
  visit(dashboard.panels);
  return panels;
}

/** The uid a target queries: its own datasource, else its panel's. */
export function datasourceUidOf(target: { datasource?: DatasourceRef }, panel?: { datasource?: DatasourceRef }): string | undefined {
  const reference = target.datasource ?? panel?.datasource;
  if (typeof reference === 'string') return reference;
  return reference?.uid;
}

export type AlertRule = { alert?: string; record?: string; expr: string; labels?: Record<string, string>; annotations?: Record<string, string> };

export function loadAlertRules(relativePath = 'otel/alerts.yml'): AlertRule[] {
  const groups = readYaml(relativePath).groups as Array<{ name: string; rules: AlertRule[] }>;
  return groups.flatMap((group) => group.rules);
}
