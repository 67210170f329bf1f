import { Data } from "effect"

/** The embedded PostgreSQL could not be prepared or started; `message` says why in one line. */
export class EmbeddedPostgresFailed extends Data.TaggedError("EmbeddedPostgresFailed")<{
  readonly message: string
}> {}
