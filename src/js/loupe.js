// Loupe's engine as a JavaScript module: load an event export, read its overview, run any
// analysis spec, get plain objects back. Every dataset lives in its own Web Worker running
// the same WebAssembly engine as the Loupe app (worker.js + worker_bg.wasm beside this
// file), so loading and analysing never block the page, a load can be cancelled by
// stopping its worker, and no byte of the data leaves the browser.
//
// The worker speaks the app's wire format (src/web/protocol.rs): page → worker
// `{id, file, options}` (a File handle and the import options as JSON) or
// `{id, request}` (a Request of src/protocol.rs as JSON); worker → page `{id, reply}`
// (a Reply as JSON). See loupe.d.ts for the types and README.md for an example.

const WORKER_URL = new URL('./worker_loader.js', import.meta.url);

/** An error of the engine or of a load: `code` is stable (`io`, `format`, `mapping`,
 *  `spec`, `spec_json`, `no_events`, `cancelled`, `no_data`, `bad_request`,
 *  `engine_stopped`, `too_large`); `field` names the spec field, `key` and `params` the message. */
export class LoupeError extends Error {
  constructor(code, message, { field = null, key = null, params = {} } = {}) {
    super(message);
    this.name = 'LoupeError';
    this.code = code;
    this.field = field;
    this.key = key;
    this.params = params;
  }

  static fromReply(e) {
    const text = e.field ? `invalid spec: ${e.field}: ${e.message}` : e.message;
    return new LoupeError(e.code, text, { field: e.field ?? null, key: e.key ?? null, params: e.params ?? {} });
  }
}

/** One worker with a request queue: replies come back in order, matched by id. */
class Engine {
  constructor() {
    this.worker = new Worker(WORKER_URL);
    this.pending = new Map();
    this.nextId = 1;
    this.stopped = null;
    this.ready = new Promise((resolve, reject) => {
      this.pending.set(0, { resolve, reject });
    });
    this.ready.catch(() => {}); // a failure is reported by the call that awaits it
    this.worker.onmessage = (e) => this.receive(e.data);
    this.worker.onerror = (e) => {
      e.preventDefault();
      this.stop(new LoupeError('engine_stopped', `the engine stopped: ${e.message || 'worker error'}`));
    };
  }

  receive(msg) {
    const reply = JSON.parse(msg.reply);
    const call = this.pending.get(msg.id ?? 0);
    if (!call) return;
    if (reply.type === 'progress') {
      call.onProgress?.({ bytes: reply.bytes, totalBytes: reply.total_bytes ?? null, rows: reply.rows });
      return;
    }
    this.pending.delete(msg.id ?? 0);
    if (reply.type === 'error') call.reject(LoupeError.fromReply(reply));
    else call.resolve(reply);
  }

  send(msg, onProgress) {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ id, ...msg });
    });
  }

  request(request, onProgress) {
    return this.send({ request: JSON.stringify(request) }, onProgress);
  }

  stop(error) {
    if (this.stopped) return;
    this.stopped = error;
    this.worker.terminate();
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
  }
}

/** A loaded dataset; `run` answers specs until `free` stops its worker. */
export class Dataset {
  constructor(engine, loaded) {
    this.engine = engine;
    /** File name, or `sample`. */
    this.name = loaded.name;
    /** Counts, columns, event names, properties and the import report. */
    this.overview = loaded.overview;
    /** Milliseconds the load took in the engine. */
    this.loadMs = loaded.ms;
    /** The engine's memory after the load, in bytes (0 where unknown). */
    this.memoryBytes = loaded.memory_bytes;
  }

  /** The import report: rows in, imported, duplicates, rejected by reason with samples. */
  get report() {
    const o = this.overview;
    return {
      rowsIn: o.rows_in, imported: o.imported, duplicates: o.duplicates, rejected: o.rejected,
      rejectedByReason: o.rejected_by_reason, rejectSamples: o.reject_samples,
      format: o.format, shape: o.shape, container: o.container, columns: o.columns,
    };
  }

  /** Runs a spec (an object with `analysis` and its fields, as in docs/specs.md); resolves
   *  to `{result, warnings, range, ms}` or rejects with a LoupeError. */
  async run(spec) {
    const r = await this.engine.request({ type: 'run', query: spec });
    return { ...r.output, ms: r.ms };
  }

  /** Renders a spec as one SQL query (see `sql`), in this dataset's worker. */
  async sql(spec, { dialect = 'duckdb', from, order } = {}) {
    return (await this.engine.request({ type: 'sql', query: spec, dialect, from, order })).text;
  }

  /** Stops the worker and frees the dataset's memory; later calls reject. */
  free() {
    this.engine.stop(new LoupeError('no_data', 'the dataset was freed'));
  }
}

async function asFile(source) {
  if (typeof File !== 'undefined' && source instanceof File) return source;
  if (source instanceof Blob) return new File([source], 'data');
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return new File([source], 'data');
  if (typeof source === 'string' || source instanceof URL) {
    const url = new URL(source, document.baseURI);
    const res = await fetch(url);
    if (!res.ok) throw new LoupeError('io', `${url.pathname}: HTTP ${res.status} ${res.statusText}`);
    const name = decodeURIComponent(url.pathname.split('/').pop() || 'data');
    return new File([await res.blob()], name);
  }
  throw new LoupeError('bad_request', 'load: the source must be a File, Blob, ArrayBuffer, typed array or URL');
}

function watch(engine, signal) {
  if (!signal) return () => {};
  const abort = () => engine.stop(new LoupeError('cancelled', 'the load was cancelled'));
  if (signal.aborted) abort();
  signal.addEventListener('abort', abort, { once: true });
  return () => signal.removeEventListener('abort', abort);
}

/** Loads an event export (CSV, TSV, NDJSON, JSON, vendor exports, gzipped) from a File,
 *  Blob, ArrayBuffer, typed array or URL. `options`: the import options (`delimiter`,
 *  `user_column`, `event_column`, `time_column`, `naive_timezone`, ...);
 *  `onProgress({bytes, totalBytes, rows})`; `signal`: an AbortSignal that cancels. */
export async function load(source, { options = {}, onProgress, signal } = {}) {
  const engine = new Engine();
  const unwatch = watch(engine, signal);
  try {
    const file = await asFile(source);
    await engine.ready;
    const loaded = await engine.send({ file, options: JSON.stringify(options) }, onProgress);
    return new Dataset(engine, loaded);
  } catch (e) {
    engine.stop(e instanceof LoupeError ? e : new LoupeError('io', String(e?.message ?? e)));
    throw e instanceof LoupeError ? e : new LoupeError('io', String(e?.message ?? e));
  } finally {
    unwatch();
  }
}

/** Loads the built-in sample dataset (an e-commerce app's events). */
export async function loadSample({ signal } = {}) {
  const engine = new Engine();
  const unwatch = watch(engine, signal);
  try {
    await engine.ready;
    return new Dataset(engine, await engine.request({ type: 'load_sample' }));
  } catch (e) {
    engine.stop(e);
    throw e;
  } finally {
    unwatch();
  }
}

/** Renders a spec as one SQL query for `dialect` (`duckdb` or `clickhouse`) reading the
 *  table expression `from` (default `events`); it returns the rows of `loupe run --csv`.
 *  `order` names the table's column of each row's position in the file, which what depends
 *  on the file order of events at one instant needs (else key `sql_needs_order`).
 *  An analysis or option SQL cannot express rejects with code `spec`, key `sql_unsupported`. */
export async function sql(spec, { dialect = 'duckdb', from, order } = {}) {
  const engine = new Engine();
  try {
    await engine.ready;
    return (await engine.request({ type: 'sql', query: spec, dialect, from, order })).text;
  } finally {
    engine.stop(new LoupeError('no_data', 'done'));
  }
}
