/**
 * Jobs shared by several runner processes (`--database postgres://…`) through Effect's cluster:
 * each job is a `VideoJob` entity whose `Run` message is persisted in PostgreSQL. The runner that
 * owns the job's shard runs it; when that runner dies, its shard locks (Postgres advisory locks,
 * released with its connection) pass to another runner, which receives the unprocessed `Run` again
 * and resumes the job from its run manifest, so nothing is paid twice. The cluster does the
 * scheduling, and its shard ownership stands in for the run lock; LongSora has no scheduler of its own.
 */
import { resolve } from "node:path"
import { type LongVideo, RunLock } from "@longsora/core"
import { Effect, Fiber, Layer, Option, PrimaryKey, Schema, Semaphore } from "effect"
import { ClusterSchema, Entity, type Sharding } from "effect/cluster"
import { Rpc } from "effect/rpc"
import { isTerminal, type Job } from "./Job.ts"
import { JobRunner, type Options, run } from "./JobRunner.ts"
import { JobStore } from "./JobStore.ts"

/**
 * One `Run` per attempt of a job: sending it again (a runner restarting, say) is deduplicated by the
 * storage; a retry of a failed job or a regenerate is a new attempt, so its `Run` is a new message.
 */
export class RunPayload extends Schema.Class<RunPayload>("@longsora/server/RunPayload")({
  attempt: Schema.optionalKey(Schema.Int)
}) {
  [PrimaryKey.symbol]() {
    // The first attempt keeps the key messages had before retries existed.
    return this.attempt ? `run-${this.attempt}` : "run"
  }
}

/** Run the job whose id is the entity's id; persisted, so a dead runner's job is run again elsewhere. */
export const Run = Rpc.make("Run", { payload: RunPayload }).annotate(ClusterSchema.Persisted, true)
/** Stop the job if it runs here (volatile: a job that runs nowhere needs no stopping). */
export const Cancel = Rpc.make("Cancel")

export const VideoJob = Entity.make("VideoJob", [Run, Cancel])

const entityLayer = (slots: Semaphore.Semaphore) =>
  VideoJob.toLayer(
    Effect.gen(function* () {
      const address = yield* Entity.CurrentAddress
      const id = address.entityId
      const services = yield* Effect.context<JobStore | LongVideo.Requirements>()
      let running: Fiber.Fiber<void> | undefined
      const runHere = Effect.gen(function* () {
        const store = yield* JobStore
        const job = yield* store.get(id)
        // Deleted, or finished by a runner that died before the message was marked processed.
        if (Option.isNone(job) || isTerminal(job.value.status)) return
        yield* Effect.logInfo(`job ${id} running on this runner`)
        // The shard this runner owns is the job's lock: a run lock in the shared directory left by a
        // runner on another host that died can be neither checked nor taken over, so it is not used.
        const held = { outputDir: resolve(job.value.outputDir) }
        const fiber = yield* Effect.forkChild(
          slots.withPermit(run(job.value)).pipe(Effect.provideService(RunLock.Held, held))
        )
        running = fiber
        yield* Fiber.join(fiber).pipe(Effect.ignore)
      }).pipe(Effect.provideContext(services))
      return VideoJob.of({
        Run: () => runHere,
        Cancel: () => Rpc.fork(running ? Fiber.interrupt(running) : Effect.void)
      })
    }),
    { maxIdleTime: "1 minute" }
  )

/** The `JobRunner` over the cluster: submitting sends the persisted `Run`, cancelling sends `Cancel`. */
export const layer = (
  options: Options
): Layer.Layer<JobRunner, never, JobStore | Sharding.Sharding | LongVideo.Requirements> =>
  Layer.unwrap(
    Effect.gen(function* () {
      const slots = yield* Semaphore.make(Math.max(1, options.concurrency))
      const service = Layer.effect(
        JobRunner,
        Effect.gen(function* () {
          const client = yield* VideoJob.client
          const submit = (job: Job) =>
            client(job.id)
              .Run(new RunPayload(job.attempt > 0 ? { attempt: job.attempt } : {}), { discard: true })
              .pipe(Effect.orDie)
          // A job stored whose Run was never sent (its runner died in between) is sent now; one
          // already sent is not sent twice.
          const unfinished = yield* (yield* JobStore).unfinished
          const resend = (job: Job) =>
            submit(job).pipe(Effect.catchCause((cause) => Effect.logWarning(`could not send job ${job.id}`, cause)))
          yield* Effect.forkScoped(Effect.forEach(unfinished, resend, { discard: true }))
          return JobRunner.of({ submit, cancel: (id) => client(id).Cancel().pipe(Effect.ignore) })
        })
      )
      return Layer.merge(service, entityLayer(slots))
    })
  )
