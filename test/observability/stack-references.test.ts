/**
 * docker-compose.yml and the files it mounts, checked for the references between them, since no Docker
 * engine, Grafana or Tempo runs here: every host:port a config dials is a compose service listening on
 * that port, every mounted file exists and sits where its program reads it, every data source a
 * dashboard uses is provisioned, every image is pinned, every span attribute a TraceQL query reads is
 * one lessllm emits.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load-config.ts';
import { telemetryOptionsFromConfig } from '../../src/telemetry/config-schema.ts';
import { defaultMaxContentBytes } from '../../src/telemetry/options.ts';
import * as semconv from '../../src/telemetry/semconv.ts';
import { allPanels, existsInRepository, loadAlertRules, loadDashboards, readText, readYaml, type YamlObject } from './stack-files.ts';
import { loadDatasources, panelQueries } from './stack-queries.ts';

type Service = {
  image?: string;
  build?: unknown;
  command?: string | string[];
  volumes?: string[];
  ports?: string[];
  expose?: string[];
  environment?: Record<string, string>;
  depends_on?: string[] | Record<string, unknown>;
  profiles?: string[];
};

const compose = readYaml('docker-compose.yml') as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;
const collector = readYaml('otel/collector.yaml');
const tempo = readYaml('otel/tempo.yaml');
const prometheus = readYaml('otel/prometheus.yml');
const datasources = loadDatasources();
const dashboards = loadDashboards();

const get = (object: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as YamlObject)[key] : undefined), object);

const commandOf = (service: string): string[] => [services[service].command ?? []].flat();

function portOf(endpoint: string): number {
  const port = Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
  assert.ok(Number.isInteger(port) && port > 0, `no port in ${endpoint}`);
  return port;
}

/** Bind mounts as [repository path, container path]. */
function bindMounts(service: string): Array<[string, string]> {
  return (services[service].volumes ?? [])
    .filter((volume) => volume.startsWith('./'))
    .map((volume) => {
      const [source, target] = volume.split(':');
      return [source.slice(2), target];
    });
}

/** The repository file mounted at `containerPath` in `service`, following directory mounts. */
function mountedFile(service: string, containerPath: string): string | undefined {
  for (const [source, target] of bindMounts(service)) {
    if (containerPath === target) return source;
    if (containerPath.startsWith(`${target}/`)) return `${source}${containerPath.slice(target.length)}`;
  }
  return undefined;
}

/** The ports a service listens on inside the compose network, as its own config says. */
const listeningPorts: Record<string, () => number[]> = {
  lessllm: () => [Number(get(readYaml('otel/lessllm.yaml'), 'server.port'))],
  'otel-collector': () => [
    portOf(String(get(collector, 'receivers.otlp.protocols.grpc.endpoint'))),
    portOf(String(get(collector, 'receivers.otlp.protocols.http.endpoint'))),
    portOf(String(get(collector, 'exporters.prometheus.endpoint'))),
    Number(get(collector, 'service.telemetry.metrics.readers.0.pull.exporter.prometheus.port')),
    portOf(String(get(collector, 'extensions.health_check.endpoint'))),
  ],
  tempo: () => [
    Number(get(tempo, 'server.http_listen_port')),
    portOf(String(get(tempo, 'distributor.receivers.otlp.protocols.grpc.endpoint'))),
    portOf(String(get(tempo, 'distributor.receivers.otlp.protocols.http.endpoint'))),
  ],
  // Prometheus, Grafana and PostgreSQL listen on their images' defaults; the compose file does not move them.
  prometheus: () => [9090],
  grafana: () => [3000],
  postgres: () => [5432],
};

function assertReachable(where: string, address: string): void {
  const url = new URL(address.includes('://') ? address : `tcp://${address}`);
  assert.ok(url.hostname in services, `${where}: ${url.hostname} is not a service in docker-compose.yml`);
  const ports = listeningPorts[url.hostname]?.() ?? [];
  const port = Number(url.port) || (url.protocol === 'http:' ? 80 : 0);
  assert.ok(ports.includes(port), `${where}: ${url.hostname} does not listen on ${port} (it listens on ${ports.join(', ')})`);
}

describe('docker-compose.yml', () => {
  it('pins every image to a version, never `latest`', () => {
    for (const [name, service] of Object.entries(services)) {
      assert.ok(service.image, `${name}: no image`);
      const tag = service.image.slice(service.image.lastIndexOf(':') + 1);
      assert.ok(service.image.includes(':') && tag !== 'latest', `${name}: image ${service.image} is not pinned`);
      // An exact release: x.y.z, or x.y where that is the project's own scheme (PostgreSQL).
      if (!service.build) assert.match(tag, /^v?\d+\.\d+(\.\d+)?$/, `${name}: ${service.image} should name an exact version`);
    }
    for (const line of readText('Dockerfile').split('\n').filter((text) => text.startsWith('FROM '))) {
      assert.match(line, /^FROM [\w./-]+:\d+\.\d+\.\d+( AS \w+)?$/, `Dockerfile: ${line}`);
    }
  });

  it('publishes ports on 127.0.0.1 only, at the port each service listens on', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const mapping of service.ports ?? []) {
        const [host, published, target] = mapping.split(':');
        assert.equal(host, '127.0.0.1', `${name}: ${mapping} is published on every interface`);
        assert.ok(Number(published) > 0);
        assert.ok(listeningPorts[name]().includes(Number(target)), `${name}: ${mapping} targets a port the service does not listen on`);
      }
      for (const port of service.expose ?? []) assert.ok(listeningPorts[name]().includes(Number(port)), `${name}: exposes ${port}, which nothing listens on`);
    }
  });

  it('mounts files that exist in the repository, and declares every named volume it uses', () => {
    const used = new Set<string>();
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0];
        if (source.startsWith('./')) assert.ok(existsInRepository(source.slice(2)), `${name}: mounts ${source}, which does not exist`);
        else {
          assert.ok(source in (compose.volumes ?? {}), `${name}: volume ${source} is not declared under volumes:`);
          used.add(source);
        }
      }
    }
    assert.deepEqual([...used].sort(), Object.keys(compose.volumes).sort(), 'every declared volume is used');
  });

  it('depends only on services it defines', () => {
    for (const [name, service] of Object.entries(services)) {
      const dependencies = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
      for (const dependency of dependencies) assert.ok(dependency in services, `${name} depends on unknown ${dependency}`);
    }
  });

  it('gives each program its config file where it reads it', () => {
    const flag = (service: string, prefix: string) => commandOf(service).find((part) => part.startsWith(prefix))?.slice(prefix.length);
    assert.equal(mountedFile('otel-collector', flag('otel-collector', '--config=')!), 'otel/collector.yaml');
    assert.equal(mountedFile('tempo', flag('tempo', '-config.file=')!), 'otel/tempo.yaml');
    const prometheusConfig = flag('prometheus', '--config.file=')!;
    assert.equal(mountedFile('prometheus', prometheusConfig), 'otel/prometheus.yml');
    // rule_files are relative to the config file, in the container as in the repository.
    const configFolder = prometheusConfig.slice(0, prometheusConfig.lastIndexOf('/'));
    for (const ruleFile of prometheus.rule_files as string[]) {
      assert.equal(mountedFile('prometheus', `${configFolder}/${ruleFile}`), `otel/${ruleFile}`);
    }
    // The lessllm image's CMD reads /etc/lessllm/lessllm.yaml.
    const command = /^CMD (.*)$/m.exec(readText('Dockerfile'))![1];
    const configPath = (JSON.parse(command) as string[]).at(-1)!;
    assert.equal(mountedFile('lessllm', configPath), 'otel/lessllm.yaml');
    assert.equal(mountedFile('demo-traffic', commandOf('demo-traffic')[1]), 'otel/demo-traffic.ts');
    assert.equal(mountedFile('grafana', '/etc/grafana/provisioning/datasources/datasources.yaml'), 'grafana/provisioning/datasources/datasources.yaml');
    const dashboardsPath = String(get(readYaml('grafana/provisioning/dashboards/dashboards.yaml'), 'providers.0.options.path'));
    assert.equal(mountedFile('grafana', dashboardsPath), 'grafana/dashboards');
    const home = services.grafana.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    assert.ok(existsInRepository(mountedFile('grafana', home)!), `the home dashboard ${home} is not a file in grafana/dashboards`);
  });
});

describe('the services find each other', () => {
  it('lessllm pushes OTLP to the collector, the collector sends traces to Tempo', () => {
    assertReachable('lessllm OTEL_EXPORTER_OTLP_ENDPOINT', services.lessllm.environment!.OTEL_EXPORTER_OTLP_ENDPOINT);
    assert.equal(portOf(services.lessllm.environment!.OTEL_EXPORTER_OTLP_ENDPOINT), portOf(String(get(collector, 'receivers.otlp.protocols.http.endpoint'))), 'lessllm exports OTLP over HTTP');
    assertReachable('collector otlp_grpc/tempo', String(get(collector, 'exporters.otlp_grpc/tempo.endpoint')));
    assert.equal(portOf(String(get(collector, 'exporters.otlp_grpc/tempo.endpoint'))), portOf(String(get(tempo, 'distributor.receivers.otlp.protocols.grpc.endpoint'))));
  });

  it('Prometheus scrapes services that listen where it looks, and Tempo writes to a Prometheus that accepts it', () => {
    for (const job of prometheus.scrape_configs as Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>) {
      for (const target of job.static_configs.flatMap((config) => config.targets)) {
        if (target.startsWith('localhost:')) continue;
        assertReachable(`otel/prometheus.yml job ${job.job_name}`, target);
      }
    }
    const writes = get(tempo, 'metrics_generator.storage.remote_write') as Array<{ url: string }>;
    for (const write of writes) assertReachable('otel/tempo.yaml remote_write', write.url);
    assert.ok(commandOf('prometheus').includes('--web.enable-remote-write-receiver'), 'Prometheus must accept remote write from Tempo');
    assert.ok(commandOf('prometheus').includes('--enable-feature=exemplar-storage'), 'exemplars are stored');
  });

  it('Grafana reaches its data sources, and the log table is the same database lessllm writes', () => {
    for (const datasource of datasources) assertReachable(`datasource ${datasource.name}`, datasource.url!);
    const postgresEnvironment = services.postgres.environment!;
    const grafanaPostgres = datasources.find((datasource) => datasource.type === 'grafana-postgresql-datasource')!;
    assert.equal((grafanaPostgres as { user?: string }).user, postgresEnvironment.POSTGRES_USER);
    assert.equal(get(grafanaPostgres, 'jsonData.database'), postgresEnvironment.POSTGRES_DB);
    assert.ok(services.grafana.environment!.POSTGRES_PASSWORD, 'Grafana gets the password its data source reads');

    const lessllmConfig = readYaml('otel/lessllm.yaml');
    const logUrl = new URL(String(get(lessllmConfig, 'log.database')).replace('${POSTGRES_PASSWORD:-lessllm}', 'password'));
    assertReachable('otel/lessllm.yaml log.database', `tcp://${logUrl.host}`);
    assert.equal(logUrl.username, postgresEnvironment.POSTGRES_USER);
    assert.equal(logUrl.pathname.slice(1), postgresEnvironment.POSTGRES_DB);
  });

  it('the demo traffic calls lessllm where it listens', () => {
    assertReachable('demo-traffic', commandOf('demo-traffic')[2]);
  });
});

describe('the lessllm config used by docker compose', () => {
  it('is a valid lessllm config with no API key set, and sends every unknown model to a mock', () => {
    const config = parseConfig(readText('otel/lessllm.yaml'), 'otel/lessllm.yaml', {});
    const options = telemetryOptionsFromConfig(config.telemetrySections, {});
    assert.equal(options.log?.database.kind, 'postgres');
    const catchAll = config.routes.at(-1)!;
    assert.equal(catchAll.match, '*');
    assert.equal(config.providers.get(catchAll.targets[0].provider)?.type, 'mock');
    const mockModels = config.routes.filter((route) => config.providers.get(route.targets[0].provider)?.type === 'mock');
    assert.ok(mockModels.length >= 3, 'several mock models, so the per-model panels have several lines');
  });
});

describe('the collector', () => {
  it('defines every component its pipelines use and uses every component it defines', () => {
    const pipelines = get(collector, 'service.pipelines') as Record<string, Record<string, string[]>>;
    for (const kind of ['receivers', 'processors', 'exporters']) {
      const defined = Object.keys((collector[kind] as YamlObject) ?? {}).sort();
      const used = [...new Set(Object.values(pipelines).flatMap((pipeline) => pipeline[kind] ?? []))].sort();
      assert.deepEqual(used, defined, kind);
    }
    for (const [name, pipeline] of Object.entries(pipelines)) {
      assert.equal(pipeline.processors[0], 'memory_limiter', `${name}: memory_limiter comes first`);
      assert.equal(pipeline.processors.at(-1), 'batch', `${name}: batch comes last`);
    }
  });

  it('exposes metrics under the names lessllm GET /metrics uses', () => {
    assert.equal(get(collector, 'exporters.prometheus.translation_strategy'), 'UnderscoreEscapingWithoutSuffixes');
    // Resource attributes stay in target_info, as on /metrics, instead of becoming labels on every series.
    assert.equal(get(collector, 'exporters.prometheus.resource_constant_labels'), undefined);
    assert.ok(!get(collector, 'exporters.prometheus.resource_to_telemetry_conversion.enabled'));
    assert.deepEqual(get(collector, 'service.pipelines.metrics.processors'), ['memory_limiter', 'transform/counter_total', 'batch']);
  });
});

describe('Tempo', () => {
  it('keeps span event bodies of lessllm default size whole', () => {
    for (const path of ['distributor.max_attribute_bytes', 'overrides.defaults.ingestion.max_attribute_bytes']) {
      assert.ok(Number(get(tempo, path)) >= defaultMaxContentBytes, `${path} must hold a ${defaultMaxContentBytes}-byte body`);
    }
  });
});

describe('Grafana provisioning and dashboards', () => {
  const uids = new Set(datasources.map((datasource) => datasource.uid));

  it('has fixed, distinct data source uids, and the links between data sources point at them', () => {
    assert.equal(uids.size, datasources.length);
    const prometheusSource = datasources.find((datasource) => datasource.type === 'prometheus')!;
    const tempoSource = datasources.find((datasource) => datasource.type === 'tempo')!;
    const exemplarTarget = (get(prometheusSource, 'jsonData.exemplarTraceIdDestinations') as Array<{ datasourceUid: string }>)[0].datasourceUid;
    assert.equal(exemplarTarget, tempoSource.uid);
    assert.equal(get(tempoSource, 'jsonData.tracesToMetrics.datasourceUid'), prometheusSource.uid);
    assert.equal(get(tempoSource, 'jsonData.serviceMap.datasourceUid'), prometheusSource.uid);
  });

  it('every panel, query, variable and data link of every dashboard uses a provisioned data source', () => {
    const unknown: string[] = [];
    const check = (where: string, reference: unknown) => {
      const uid = typeof reference === 'string' ? reference : (reference as { uid?: string } | undefined)?.uid;
      if (uid === undefined || uid.startsWith('-- ')) return;
      if (!uids.has(uid)) unknown.push(`${where}: ${uid}`);
    };
    for (const dashboard of dashboards) {
      for (const panel of allPanels(dashboard)) {
        check(`${dashboard.file} › "${panel.title}"`, panel.datasource);
        for (const target of panel.targets ?? []) {
          assert.ok(target.datasource ?? panel.datasource, `${dashboard.file} › "${panel.title}" › ${target.refId}: no data source`);
          check(`${dashboard.file} › "${panel.title}" › ${target.refId}`, target.datasource);
        }
        const links = (panel.fieldConfig?.overrides ?? []).flatMap((override) => override.properties ?? []).filter((property) => property.id === 'links');
        for (const link of links.flatMap((property) => property.value as Array<{ internal?: { datasourceUid: string } }>)) {
          check(`${dashboard.file} › "${panel.title}" › link`, link.internal?.datasourceUid);
        }
      }
      for (const variable of dashboard.templating.list) check(`${dashboard.file} › variable ${variable.name}`, variable.datasource);
    }
    assert.deepEqual(unknown, []);
  });

  it('dashboard links and alert links point at dashboards that exist', () => {
    const dashboardUids = new Set(dashboards.map((dashboard) => dashboard.uid));
    assert.equal(dashboardUids.size, dashboards.length, 'dashboard uids are distinct');
    const linked = [
      ...dashboards.flatMap((dashboard) => ((dashboard as { links?: Array<{ url: string }> }).links ?? []).map((link) => link.url)),
      ...loadAlertRules().map((rule) => rule.annotations?.dashboard ?? ''),
    ];
    for (const url of linked) {
      const uid = /\/d\/([^/?]+)/.exec(url)?.[1];
      assert.ok(uid && dashboardUids.has(uid), `${url} does not open a provisioned dashboard`);
    }
  });

  it('TraceQL queries read span attributes lessllm puts on its spans', () => {
    const emitted = new Set<unknown>(Object.values(semconv).filter((value) => typeof value === 'string'));
    const tempoUid = datasources.find((datasource) => datasource.type === 'tempo')!.uid;
    const queries = panelQueries(tempoUid, 'query');
    assert.ok(queries.length >= 4, `found only ${queries.length} TraceQL queries`);
    const unknown: string[] = [];
    for (const query of queries) {
      for (const [, attribute] of query.text.matchAll(/\bspan\.([a-z_][a-z0-9_.]*[a-z0-9_])/g)) {
        if (!emitted.has(attribute)) unknown.push(`${query.where}: span.${attribute}`);
      }
    }
    assert.deepEqual(unknown, []);
  });

  it('the log-table queries read the table lessllm creates', () => {
    const postgresUid = datasources.find((datasource) => datasource.type === 'grafana-postgresql-datasource')!.uid;
    const migration = readText('src/telemetry/log-table/migrations/postgres/0000_create_calls.sql');
    const table = /CREATE TABLE "([a-z_]+)"/.exec(migration)![1];
    const columns = new Set([...migration.matchAll(/^\s*"([a-z_]+)" /gm)].map((match) => match[1]));
    for (const query of panelQueries(postgresUid, 'rawSql')) {
      assert.match(query.text, new RegExp(`FROM ${table}\\b`), query.where);
      // Identifiers that look like columns (snake_case words followed by AS, a comma, a bracket or an operator).
      for (const [, word] of query.text.matchAll(/\b([a-z]+_[a-z_]+)\b/g)) {
        if (word === table) continue;
        assert.ok(columns.has(word), `${query.where}: ${word} is not a column of ${table}`);
      }
    }
  });
});
