/** A pair's answer, with its equal share of its batch's model call and cache write. */
export interface Inferred {
  seniority: number;
  modelCallMs: number;
  cacheWriteMs: number;
}
