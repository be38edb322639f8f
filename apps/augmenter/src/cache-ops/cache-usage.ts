// Apart from the command so that `augmenter cache --help` prints it without loading the stores,
// the S3 client and the model client the commands need.
export const CACHE_USAGE = `augmenter cache <command>:
  import <file|s3://…>    load known (company, title, seniority) rows (.jsonl/.csv/.tsv, optionally .gz)
  export <file|s3://…>    back up the MODEL_VERSION namespace (keys and values), .gz to compress
  restore <file|s3://…>   load an export into the configured cache (any backend)
  stats                   pairs, bytes per pair, bucket fill and encodings, namespaces, hit ratios
  drop --model-version X  delete a namespace in small steps
  warm --from <raw uri> [--since <unix seconds>]
                          infer the pairs of historic inputs ahead of time, most frequent first`;
