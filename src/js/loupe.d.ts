// Types of Loupe's JavaScript module (loupe.js). Specs and results are documented field by
// field in docs/specs.md; they are the JSON of `loupe run`.

/** Import options; every field is optional (the defaults detect everything). */
export interface LoadOptions {
  /** Field delimiter of delimited text, e.g. "," ";" "\t" "|". */
  delimiter?: string;
  /** The user column's name. */
  user_column?: string;
  /** The event column's name. */
  event_column?: string;
  /** The timestamp column's name. */
  time_column?: string;
  /** The zone in which timestamps without one are read, e.g. "Asia/Shanghai" or "+08:00". */
  naive_timezone?: string;
  /** Columns whose cells hold JSON objects, expanded into dotted properties. */
  expand_json?: string[];
  /** Which id is the user where a user id and a device / anonymous id both exist. */
  identity?: "user" | "device" | "user_or_device";
  /** How NN/NN/YYYY dates are read (decided from the data when absent). */
  date_order?: "dmy" | "mdy";
  [option: string]: unknown;
}

/** Progress of a load. */
export interface Progress {
  bytes: number;
  totalBytes: number | null;
  rows: number;
}

/** Options of `load`. */
export interface LoadParams {
  options?: LoadOptions;
  onProgress?: (p: Progress) => void;
  /** Aborting stops the load's worker; `load` rejects with code `cancelled`. */
  signal?: AbortSignal;
}

/** An analysis spec: `analysis` names it, the other fields are its options and the shared
 *  scope (`date_range`, `filters`, `timezone`, `week_start`, ...). */
export interface Spec {
  analysis: string;
  [field: string]: unknown;
}

/** A warning the analysis ran despite (an event that never occurs, ...). */
export interface Warning {
  code: string;
  field: string;
  value: string;
  hint: string | null;
  message: string;
}

/** What `run` resolves to. */
export interface Output {
  /** The numbers, tagged with `analysis` like the spec. */
  result: { analysis: string; [field: string]: unknown };
  warnings: Warning[];
  /** The date range used, as RFC 3339 instants (null = open). */
  range: [string | null, string | null];
  /** Milliseconds the engine took. */
  ms: number;
}

/** Counts, columns, event names, properties and the import report of a dataset. */
export interface Overview {
  rows_in: number;
  imported: number;
  duplicates: number;
  rejected: number;
  users: number;
  events: number;
  first_event: string | null;
  last_event: string | null;
  event_names: { name: string; events: number; users: number }[];
  properties: { name: string; kind: string; non_null: number; distinct: number; top: [string, number][] }[];
  rejected_by_reason: { reason: string; description: string; rows: number }[];
  /** `file` names the file when several were loaded together. */
  reject_samples: { file?: string; line: number; reason: string; detail: string }[];
  format: string;
  /** The files of a dataset loaded from several, each with its own counts (empty for one). */
  files: { name: string; format: string; container: string; encoding: string; bytes: number;
    rows_in: number; imported: number; duplicates: number; rejected: number; set_aside: number }[];
  [field: string]: unknown;
}

/** The import report of a dataset. */
export interface Report {
  rowsIn: number;
  imported: number;
  duplicates: number;
  rejected: number;
  rejectedByReason: Overview['rejected_by_reason'];
  rejectSamples: Overview['reject_samples'];
  format: string;
  shape: string | null;
  container: string;
  columns: unknown;
}

/** An error with a stable code. */
export class LoupeError extends Error {
  /** `io`, `format`, `mapping`, `spec`, `spec_json`, `no_events`, `cancelled`, `no_data`,
   *  `bad_request`, `engine_stopped` or `too_large` (a file that would not fit in the
   *  memory of a browser tab, refused while it is read). */
  code: string;
  /** The spec field concerned, e.g. `steps[2].event`. */
  field: string | null;
  /** A stable code of the message, e.g. `unknown_event`. */
  key: string | null;
  /** The values the message names. */
  params: Record<string, string>;
}

/** A loaded dataset, in its own worker. */
export class Dataset {
  readonly name: string;
  readonly overview: Overview;
  readonly loadMs: number;
  readonly memoryBytes: number;
  readonly report: Report;
  /** Runs a spec; rejects with a LoupeError (code `spec`, with `field`) on a bad spec. */
  run(spec: Spec): Promise<Output>;
  /** The spec as one SQL query (see `sql`). */
  sql(spec: Spec, params?: SqlParams): Promise<string>;
  /** Stops the worker and frees the memory. */
  free(): void;
}

/** Loads an event export from a File, Blob, ArrayBuffer, typed array or URL. */
export function load(source: File | Blob | ArrayBuffer | ArrayBufferView | string | URL, params?: LoadParams): Promise<Dataset>;

/** Loads the built-in sample dataset. */
export function loadSample(params?: { signal?: AbortSignal }): Promise<Dataset>;

/** Options of `sql`. */
export interface SqlParams {
  /** `duckdb` (default) or `clickhouse`. */
  dialect?: 'duckdb' | 'clickhouse';
  /** The table expression the query reads (default `events`). */
  from?: string;
  /** The table's column of each row's position in the file (several files: file by file);
   *  analyses and options that depend on the file order of events at one instant need it. */
  order?: string;
}

/** Renders a spec as one SQL query returning the rows of `loupe run --csv`. */
export function sql(spec: Spec, params?: SqlParams): Promise<string>;
