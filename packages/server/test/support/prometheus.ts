import { spawnSync } from 'node:child_process';

/**
 * Parsed by the Prometheus project's own Python client
 * (`prometheus_client.parser`), the reference reader of the text format: it
 * rejects a malformed exposition and keeps each labelled histogram series apart.
 */
const PARSER = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": family.name, "type": family.type, "help": family.documentation,
                "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in family.samples]})
json.dump(out, sys.stdout)
`;

/** Debian's interpreter, where `apt-get install python3-prometheus-client` puts the parser (.ci/run installs it). */
const DEBIAN_PYTHON = '/usr/bin/python3';

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  /** Counters are named without `_total`, as the format's families are. */
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'unknown';
  help: string;
  samples: MetricSample[];
}

/** One scrape, parsed, with lookups by sample name and labels. */
export class Scrape {
  readonly families: MetricFamily[];

  constructor(text: string) {
    const result = spawnSync(DEBIAN_PYTHON, ['-c', PARSER], { input: text, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`the Prometheus parser refused the exposition: ${result.stderr}`);
    this.families = JSON.parse(result.stdout) as MetricFamily[];
  }

  /** The family of a metric, by its name (a counter's with or without `_total`). */
  family(name: string): MetricFamily {
    const family = this.families.find((f) => f.name === name || `${f.name}_total` === name);
    if (family === undefined) throw new Error(`no metric family ${name}; have ${this.families.map((f) => f.name).join(', ')}`);
    return family;
  }

  /** Samples named `name` whose labels include `labels`. */
  samples(name: string, labels: Record<string, string> = {}): MetricSample[] {
    return this.families
      .flatMap((f) => f.samples)
      .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  }

  /** The sum of the matching samples: one series' value, or 0 when none exists yet. */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.samples(name, labels).reduce((sum, s) => sum + s.value, 0);
  }

  /** A histogram's observation count over the matching series. */
  count(name: string, labels: Record<string, string> = {}): number {
    return this.value(`${name}_count`, labels);
  }
}
