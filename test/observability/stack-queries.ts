/**
 * Every query the observability stack runs, collected from where it is written: PromQL in dashboard
 * panels, template variables, alert rules and the Tempo data source's trace-to-metrics links; SQL in
 * the log-table panels; TraceQL in the Tempo panels. And the substitution Grafana does before sending
 * them ($model, $__rate_interval, $__timeFilter(…)), so a test can run them against real servers.
 */
import { allPanels, datasourceUidOf, loadAlertRules, loadDashboards, readYaml, type Dashboard } from './stack-files.ts';

export type Query = {
  /** Where the query is written, for messages: file › panel › refId. */
  where: string;
  text: string;
};

export type ProvisionedDatasource = { name: string; uid: string; type: string; url?: string; jsonData?: Record<string, unknown> };

export const datasourcesFile = 'grafana/provisioning/datasources/datasources.yaml';

export function loadDatasources(): ProvisionedDatasource[] {
  return readYaml(datasourcesFile).datasources as ProvisionedDatasource[];
}

export function datasourceUidOfType(type: string): string {
  const found = loadDatasources().filter((datasource) => datasource.type === type);
  if (found.length !== 1) throw new Error(`${datasourcesFile}: expected one ${type} data source, found ${found.length}`);
  return found[0].uid;
}

/** Panel targets whose data source is `uid`, with the field holding the query. */
export function panelQueries(uid: string, field: 'expr' | 'rawSql' | 'query' = 'expr', dashboards: Dashboard[] = loadDashboards()): Query[] {
  const queries: Query[] = [];
  for (const dashboard of dashboards) {
    for (const panel of allPanels(dashboard)) {
      for (const target of panel.targets ?? []) {
        if (datasourceUidOf(target, panel) !== uid) continue;
        const text = target[field];
        if (typeof text !== 'string' || text.trim() === '') throw new Error(`${dashboard.file} › "${panel.title}" › ${target.refId}: no ${field}`);
        queries.push({ where: `${dashboard.file} › "${panel.title}" › ${target.refId}`, text });
      }
    }
  }
  return queries;
}

export type VariableQuery = { where: string; name: string; label: string; selector: string | undefined };

/** `label_values(metric{…}, label)` and `label_values(label)` template variables. */
export function variableQueries(dashboards: Dashboard[] = loadDashboards()): VariableQuery[] {
  const queries: VariableQuery[] = [];
  for (const dashboard of dashboards) {
    for (const variable of dashboard.templating.list) {
      if (variable.type !== 'query') continue;
      const text = typeof variable.query === 'string' ? variable.query : variable.query?.query;
      const where = `${dashboard.file} › variable ${variable.name}`;
      const call = /^label_values\((?:(.+),\s*)?([A-Za-z_][A-Za-z0-9_]*)\)$/.exec((text ?? '').trim());
      if (!call) throw new Error(`${where}: only label_values(…) variables are supported here, got ${JSON.stringify(text)}`);
      queries.push({ where, name: variable.name, selector: call[1]?.trim(), label: call[2] });
    }
  }
  return queries;
}

export function alertQueries(relativePath = 'otel/alerts.yml'): Array<Query & { name: string }> {
  return loadAlertRules(relativePath).map((rule) => {
    const name = rule.alert ?? rule.record ?? '?';
    const severity = rule.labels?.severity ? ` (${rule.labels.severity})` : '';
    return { where: `${relativePath} › ${name}${severity}`, name: `${name}${severity}`, text: rule.expr };
  });
}

/** The Tempo data source's "metrics for this span" queries. */
export function tracesToMetricsQueries(): Query[] {
  return loadDatasources().flatMap((datasource) => {
    const queries = (datasource.jsonData?.tracesToMetrics as { queries?: Array<{ name: string; query: string }> } | undefined)?.queries ?? [];
    // Provisioning files read `$NAME` from the environment: the file says `$$` for a literal `$`.
    return queries.map((query) => ({ where: `${datasourcesFile} › ${datasource.name} › ${query.name}`, text: query.query.replaceAll('$$', '$') }));
  });
}

export type Substitutions = {
  /** Values of the dashboard variables ($model, ${provider:regex}…), e.g. `.*` for "All". */
  variables: Record<string, string>;
  rateInterval: string;
  interval: string;
  range: string;
  /** What `$__tags` becomes in trace-to-metrics queries, e.g. `gen_ai_request_model="x"`. */
  tags?: string;
  /** For the SQL time macros. */
  from?: Date;
  to?: Date;
};

/** The text Grafana would send: variables and macros replaced; an unknown `$name` is an error. */
export function substitute(query: Query, values: Substitutions): string {
  const builtIns: Record<string, string | undefined> = {
    __rate_interval: values.rateInterval,
    __interval: values.interval,
    __range: values.range,
    __tags: values.tags,
  };
  let text = expandSqlMacros(query, values);
  text = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[A-Za-z]+)?\}|\[\[([A-Za-z_][A-Za-z0-9_]*)\]\]|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, braced, bracketed, bare) => {
    const name = (braced ?? bracketed ?? bare) as string;
    const value = name.startsWith('__') ? builtIns[name] : values.variables[name];
    if (value === undefined) throw new Error(`${query.where}: no value for ${match} in the test; add one`);
    return value;
  });
  return text;
}

/** Grafana's PostgreSQL macros used by the dashboards: $__timeFilter, $__timeGroup, $__timeGroupAlias. */
function expandSqlMacros(query: Query, values: Substitutions): string {
  return query.text.replace(/\$__(timeFilter|timeGroupAlias|timeGroup)\(([^)]*)\)/g, (_match, macro: string, argumentText: string) => {
    const [column, interval] = argumentText.split(',').map((argument) => argument.trim());
    if (macro === 'timeFilter') {
      if (!values.from || !values.to) throw new Error(`${query.where}: $__timeFilter needs a time range`);
      return `${column} BETWEEN '${values.from.toISOString()}' AND '${values.to.toISOString()}'`;
    }
    const seconds = durationSeconds(interval === '$__interval' ? values.interval : interval, query.where);
    const group = `floor(extract(epoch from ${column})/${seconds})*${seconds}`;
    return macro === 'timeGroupAlias' ? `${group} AS "time"` : group;
  });
}

function durationSeconds(text: string | undefined, where: string): number {
  const parsed = /^(\d+)(s|m|h)$/.exec(text ?? '');
  if (!parsed) throw new Error(`${where}: cannot read the interval ${JSON.stringify(text)}`);
  return Number(parsed[1]) * { s: 1, m: 60, h: 3600 }[parsed[2] as 's' | 'm' | 'h'];
}

/** Metric names a PromQL expression reads (identifiers followed by a selector, a range or a space). */
export function metricNamesIn(expression: string): string[] {
  const names = new Set<string>();
  const keywords = new Set(['sum', 'by', 'without', 'rate', 'increase', 'histogram_quantile', 'or', 'and', 'unless', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'vector', 'max', 'min', 'avg', 'count', 'topk', 'bottomk', 'bool', 'le']);
  // Label matchers and label lists are removed first, so label names are not taken for metrics.
  const withoutLabels = expression.replace(/\{[^}]*\}/g, '{}').replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  for (const match of withoutLabels.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b\s*(?=[{[)\s]|$)/g)) {
    const name = match[1];
    if (!keywords.has(name) && !/^\d/.test(name)) names.add(name);
  }
  return [...names];
}
