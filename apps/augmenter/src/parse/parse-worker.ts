// A parse worker (worker_threads): holds a FileParser per file of the main thread's sessions
// and answers each request in order. Loads no npm package: only the parse code and node builtins.
import { parentPort, workerData } from "node:worker_threads";
import { FileParser } from "./file-parser";
import { KnownAnswers } from "./known-answers";
import type { ParseOptions, ParsedChunk } from "./parsed-chunk";
import type { WorkerReply, WorkerRequest } from "./parse-workers";

const options = workerData as ParseOptions;
const port = parentPort;
if (!port) throw new Error("parse-worker runs as a worker thread");
const files = new Map<number, FileParser>();
const known = options.knownMaxEntries > 0 ? new KnownAnswers(options.knownMaxEntries) : undefined;

/** The chunks' own buffers go to the main thread without a copy. */
function transfers(chunks: readonly ParsedChunk[]): ArrayBuffer[] {
  return chunks.flatMap((c) => [c.output.buffer as ArrayBuffer, c.slots.buffer as ArrayBuffer]);
}

function handle(m: WorkerRequest): WorkerReply | undefined {
  if (m.op === "learn") {
    known?.learn(m.seq, m.values);
    return undefined;
  }
  if (m.op === "drop") {
    files.delete(m.id);
    known?.forget(m.id);
    return undefined;
  }
  let parser = files.get(m.id);
  if (!parser) files.set(m.id, (parser = new FileParser(m.file, options, known, m.id)));
  const { req } = m;
  if (m.op === "push") return { req, ok: true, chunks: parser.push(new Uint8Array(m.bytes)) };
  if (m.op === "cut") {
    const chunk = parser.cut();
    return { req, ok: true, chunks: chunk ? [chunk] : [] };
  }
  files.delete(m.id);
  const end = parser.end();
  return { req, ok: true, chunks: end.chunks, blankLines: end.blankLines, distinctPairs: end.distinctPairs };
}

port.on("message", (m: WorkerRequest) => {
  let reply: WorkerReply | undefined;
  try {
    reply = handle(m);
  } catch (err) {
    // `learn` and `drop` are never answered: a failure there loses only a cached answer.
    if (!("req" in m)) return;
    const e = err as Error;
    files.delete(m.id);
    reply = { req: m.req, ok: false, message: e.message, stack: e.stack };
  }
  if (reply) port.postMessage(reply, reply.ok ? transfers(reply.chunks) : []);
});
