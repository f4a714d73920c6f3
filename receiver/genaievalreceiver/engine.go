package genaievalreceiver

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-genai/otelcol-genai/internal/evaluate"
	"github.com/otelcol-genai/otelcol-genai/internal/follow"
	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/indexer"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
	"github.com/otelcol-genai/otelcol-genai/receiver/genaievalreceiver/internal/metadata"
)

// The engine keeps its memory in the store it follows, so it survives
// restarts and is shared by a fleet on one PostgreSQL store:
//
//   - the follower's checkpoint, a blob in the repo "_genai_eval" under
//     "_eval/<receiver id>/checkpoint" (internal/follow);
//   - one claim per (entity, LLM judge), key
//     "eval/<evaluator>/<kind>/<entity id>", in the entity's repo
//     (store.Backend.Claim): held for claim_ttl while the evaluation runs,
//     then for ever once the verdict is stored (deterministic evaluators
//     take none: see judge);
//   - the verdicts themselves: an entity whose node already holds a
//     verdict of an evaluator is not judged again by it.
const (
	checkpointRepo = "_genai_eval"
	verdictSource  = "genai_eval"
)

// doneForever is the until of a claim whose verdict is stored.
var doneForever = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// evaluator is one configured evaluator with its selection.
type evaluator struct {
	name string
	ev   evaluate.Evaluator
	// remote: it calls out (an LLM judge) and may take seconds; it runs in
	// the judge pool, the others in the local one.
	remote bool
	rate   float64
	filter Filter
	// outcomes are its otelcol_genai_eval_evaluations attribute sets, by
	// outcome, built once (newEngine): built per verdict they were 2 % of
	// the engine's CPU in BenchmarkIngest.
	outcomes map[string]metric.AddOption
}

// count adds one evaluation with outcome to the evaluations metric.
func (ev *evaluator) count(ctx context.Context, tel *metadata.TelemetryBuilder, outcome string) {
	opt, ok := ev.outcomes[outcome]
	if !ok {
		opt = outcomeOption(ev.name, outcome)
	}
	tel.GenaiEvalEvaluations.Add(ctx, 1, opt)
}

func outcomeOption(evaluator, outcome string) metric.AddOption {
	return metric.WithAttributeSet(attribute.NewSet(attribute.String("evaluator", evaluator), attribute.String("outcome", outcome)))
}

// engine follows the store and evaluates what is due. The follower only
// looks: evaluations run on their own goroutines, at most cfg.Concurrency
// judge calls and as many local (deterministic) evaluations at once across
// every trace, so a slow or hanging judge delays the judge's verdicts and
// nothing else.
type engine struct {
	cfg    *Config
	st     store.Store
	logger *zap.Logger
	tel    *metadata.TelemetryBuilder
	owner  string // this process's claim owner id
	evs    []*evaluator
	ver    *commit.Versioner
	fl     *follow.Follower
	// batch gathers verdicts into shared hand-offs to next.
	batch *batcher

	// pools hold one token per evaluation in flight: [poolLocal] for
	// deterministic evaluators, [poolJudge] for the ones that call out.
	pools [2]chan struct{}
	jobs  sync.WaitGroup // evaluations in flight

	mu sync.Mutex
	// runs is what is known of each pending ref's evaluations.
	runs map[commit.NodeRef]*refRun
	// waiters are the refs with evaluations queued for a slot of each
	// pool, in arrival order; a freed slot wakes the first.
	waiters [2][]commit.NodeRef
	queued  [2]map[commit.NodeRef]bool
	// failures counts failed evaluation rounds per claim key, and spent
	// sums what the judge cost in those rounds, for the verdict (memory
	// only: a restart gives the judge a fresh set of rounds).
	failures map[string]int
	spent    map[string]*evaluate.JudgeUsage
	// started counts the evaluations started (tests step until it stops
	// moving).
	started int
	// plans are what the indexer's trees showed to do for refs not read
	// yet (observe), with the fingerprint of the tree each came from.
	plans planSet
	// stopObserving ends observe's calls (shutdown).
	stopObserving func()
	// maxHeld is how many refs may wait for a pool slot holding what
	// their evaluations need (maxHeldRuns; tests lower it).
	maxHeld int
	// settled holds, for traces whose evaluations all finished, the
	// fingerprint their tree has once the verdicts handed on have landed
	// and nothing else changed. The change those verdicts cause is then
	// not read again (see handle). Bounded by maxSettled.
	settled map[commit.NodeRef]ownLandings
}

// maxSettled bounds engine.settled; past it the map starts over (a
// forgotten entry costs one tree read, never a missed evaluation).
const maxSettled = 1 << 16

// maxHeldRuns bounds the refs that wait for a judge slot with their
// subjects in memory. A subject holds the judged text, and its strings
// keep the whole assembled tree alive, so a judge slower than ingest (an
// LLM answers a few calls a second; SDK load brings thousands of traces)
// grew the engine by every trace read ahead of it: about 170 MB more heap
// after 20 s of SDK loadgen even against a judge answering at once. A ref
// that parks past the bound sheds its judge jobs (refRun.shedJudgeJobs)
// and is read again when its turn for a judge slot comes: one more tree
// read for each ref past the bound, and about half a kilobyte held for it
// until then.
const maxHeldRuns = 1024

// refRun is what the engine knows of one pending ref's evaluations: the
// (entity, evaluator) pairs due when its tree was last read, by claim key,
// and how each stands (a settled one by its key alone). The tree is read again only when the ref changed
// since; otherwise a look only starts what is due (a map walk).
type refRun struct {
	ref commit.NodeRef
	// read is the ref's LastChange when its tree was last read (zero:
	// never).
	read time.Time
	jobs map[string]*jobState
	// settled are the claim keys of the pairs whose verdict was handed on
	// or whose evaluator did not apply: not run again while the ref stays
	// pending. A key instead of its jobState: behind a slow judge tens of
	// thousands of refs wait with their local evaluations done, and a
	// jobState (its subject's fields included, zeroed or not) is about
	// 400 bytes the garbage collector scans on every cycle (issue 14).
	settled map[string]struct{}
	// order is the keys of jobs in tree order (evaluations start in it).
	order []string
	// waiting: an entity it selects had not ended.
	waiting bool
	// err is the first hand-off error since the last look.
	err error
	// fp is the tree's commit-set fingerprint at the last read (0 for a
	// session, or unknown); lands holds what it can become while nothing
	// but this run's verdicts lands (see ownLandings), minted the verdict
	// commits counted there, each once.
	fp     uint64
	lands  ownLandings
	minted map[commit.ID]bool
	// shed: its jobs waiting for a judge slot were dropped (maxHeldRuns);
	// it is read again when its turn for one comes.
	shed bool
}

// shedJudgeJobs drops the run's jobs that wait for a judge slot (caller
// holds mu): what they hold of the tree, and the job states themselves,
// a few hundred bytes each. The run keeps its place in the judge queue,
// its other jobs and what it knows of its own verdicts (lands).
func (r *refRun) shedJudgeJobs() {
	order := r.order[:0]
	for _, key := range r.order {
		js := r.jobs[key]
		if js != nil && poolOf(js.ev) == poolJudge && (js.status == jobQueued || js.status == jobRetry) {
			delete(r.jobs, key)
			r.shed = true
		} else {
			order = append(order, key)
		}
	}
	clear(r.order[len(order):])
	r.order = order
}

// mint records a verdict commit handed on for this run (caller holds mu).
func (r *refRun) mint(id commit.ID) {
	if r.minted[id] {
		return
	}
	if r.minted == nil {
		r.minted = map[commit.ID]bool{}
	}
	r.minted[id] = true
	r.lands.add(id)
}

// ownLandings are the commit-set fingerprints a trace goes through while
// nothing but the verdicts of one run lands on it: the fingerprint read
// XOR each prefix of the verdicts, in the order they were minted. The
// batcher hands verdicts on in that order, one hand-off at a time, so the
// store receives them a prefix at a time, and an indexing pass between two
// hand-offs publishes one of these. Matching only the last one, as the
// engine first did, read the tree again on every change but the last: a
// quarter of its reads under SDK load.
//
// A write of anything else XORs in a commit id that is no verdict of the
// run, and the fingerprint leaves this set (up to a 64-bit collision).
// Two hand-offs that land out of mint order give a fingerprint outside it
// too: that costs a read, never a missed evaluation.
type ownLandings struct {
	last uint64              // the read's fingerprint XOR every verdict
	all  map[uint64]struct{} // every prefix's, the empty one included
}

// reset starts over from the fingerprint read (0: unknown, nothing
// matches).
func (o *ownLandings) reset(fp uint64) {
	o.last, o.all = fp, nil
	if fp != 0 {
		o.all = map[uint64]struct{}{fp: {}}
	}
}

// add counts one more verdict (not called twice for one id).
func (o *ownLandings) add(id commit.ID) {
	if o.all == nil {
		return
	}
	o.last ^= tree.CommitFingerprint(id)
	o.all[o.last] = struct{}{}
}

// has reports whether fp is one of the landings (0 never is).
func (o *ownLandings) has(fp uint64) bool {
	_, ok := o.all[fp]
	return fp != 0 && ok
}

// final reports whether fp is the landing of every verdict.
func (o *ownLandings) final(fp uint64) bool { return fp != 0 && o.all != nil && fp == o.last }

// running reports whether an evaluation of the ref runs (caller holds mu).
func (r *refRun) running() bool {
	for _, js := range r.jobs {
		if js.status == jobRunning {
			return true
		}
	}
	return false
}

// retryDue reports whether a retry of the ref is due (caller holds mu).
func (r *refRun) retryDue(now time.Time) bool {
	for _, js := range r.jobs {
		if js.status == jobRetry && !now.Before(js.notBefore) {
			return true
		}
	}
	return false
}

type jobStatus int

const (
	jobQueued  jobStatus = iota // due, waiting for a slot
	jobRunning                  // on its goroutine
	jobRetry                    // a failed round or another member's claim: due again at notBefore
	// A pair whose verdict was handed on, or whose evaluator did not
	// apply, has no state: its key moves to refRun.settled.
)

// jobState is one pair of a refRun.
type jobState struct {
	job
	status    jobStatus
	notBefore time.Time
}

// The engine's pools.
const (
	poolLocal = 0
	poolJudge = 1
)

func poolOf(ev *evaluator) int {
	if ev.remote {
		return poolJudge
	}
	return poolLocal
}

func full(pool chan struct{}) bool { return len(pool) == cap(pool) }

func newEngine(cfg *Config, st store.Store, next consumer.Logs, logger *zap.Logger, tel *metadata.TelemetryBuilder,
	receiverID, owner string, evs []*evaluator) *engine {
	e := &engine{cfg: cfg, st: st, logger: logger, tel: tel, owner: owner, evs: evs,
		ver:   commit.NewVersioner(),
		batch: newBatcher(next, verdictBatchMax, verdictBatchEvery),
		pools: [2]chan struct{}{make(chan struct{}, cfg.Concurrency), make(chan struct{}, cfg.Concurrency)},
		runs:  map[commit.NodeRef]*refRun{}, failures: map[string]int{}, spent: map[string]*evaluate.JudgeUsage{},
		settled: map[commit.NodeRef]ownLandings{},
		plans:   newPlanSet(maxPlans),
		queued:  [2]map[commit.NodeRef]bool{{}, {}},
		maxHeld: maxHeldRuns}
	for _, ev := range evs {
		ev.outcomes = map[string]metric.AddOption{}
		for _, o := range []string{metadata.OutcomePassed, metadata.OutcomeFailed, metadata.OutcomeErrored, metadata.OutcomeNotApplicable} {
			ev.outcomes[o] = outcomeOption(ev.name, o)
		}
	}
	fc := cfg.FollowerConfig(store.EvalCheckpointKey(checkpointRepo, receiverID), true)
	e.fl = follow.New(fc, st, e.handle, follow.Telemetry{
		PendingDelta: func(ctx context.Context, d int64) { tel.GenaiEvalPending.Add(ctx, d) },
		HandleError: func(ctx context.Context, ref commit.NodeRef, failures int, backoff time.Duration, err error) {
			tel.GenaiEvalErrors.Add(ctx, 1)
			logger.Warn("Evaluating failed; will retry", zap.String("repo", ref.Repo), zap.String("kind", string(ref.Kind)),
				zap.String("id", ref.ID), zap.Int("failures", failures), zap.Duration("backoff", backoff), zap.Error(err))
		},
		AfterStep: func(ctx context.Context) {
			tel.GenaiEvalLag.Record(ctx, max(0, e.now().Sub(e.fl.Checkpoint()).Seconds()))
		},
	}, logger)
	// The indexer of this process (the store extension's store) shows
	// each trace it assembles; another store is only read. (After e.fl:
	// the indexer may call observe at once.)
	if o, ok := st.(interface {
		ObserveTraces(indexer.TraceObserver) func()
	}); ok {
		e.stopObserving = o.ObserveTraces(e.observe)
	}
	return e
}

// now is the follower's clock (tests replace it there).
func (e *engine) now() time.Time { return e.fl.Now() }

// step handles what is due (tests call it; run steps through follow.Run).
func (e *engine) step(ctx context.Context) error { return e.fl.Step(ctx) }

// job is one (entity, evaluator) to judge.
type job struct {
	ev      *evaluator
	subject evaluate.Subject
	key     string // its claim key
	// link is the judged span of an entity written from OTLP (nil for
	// SDK entities and sessions).
	link *spanLink
	// run is the run of the ref whose read made this job (its verdict is
	// minted there).
	run *refRun
	// digest is the subject's hash for verdictID, shared by the jobs of
	// every evaluator judging the same node (nil: computed per verdict).
	digest *subjectDigest
}

// subjectDigest is a subject's hash (subjectSum), computed once for all
// the evaluators of a node: several evaluators judge each node
// (configs/evals.yaml: two per generation and per trace), and encoding
// the subject for each verdict was 2.6 % of the collector's CPU under SDK
// load with evaluators on.
type subjectDigest struct {
	once sync.Once
	sum  [sha256.Size]byte
}

// of returns the hash of s, the subject of every job sharing d.
func (d *subjectDigest) of(s evaluate.Subject) [sha256.Size]byte {
	if d == nil {
		return subjectSum(s)
	}
	d.once.Do(func() { d.sum = subjectSum(s) })
	return d.sum
}

// handle looks at one quiet trace (or one session) and starts the
// evaluations that are due; it never waits for one. It reads the tree when
// the ref changed since the last read (the first look included) and none
// of its evaluations runs, and otherwise only starts what is queued or due
// for a retry. The ref stays
// pending while its evaluations run or wait for a slot (it is looked at on
// every step), while an entity it selected has not ended, while another
// member holds a claim, or while a failed evaluation waits for its next
// round.
func (e *engine) handle(ctx context.Context, ref commit.NodeRef, p *follow.Pending, now time.Time) (bool, error) {
	e.mu.Lock()
	run := e.runs[ref]
	if run == nil {
		lands, ok := e.settled[ref]
		if ok && lands.has(p.Fingerprint) {
			// Only the last run's verdicts landed since its last read
			// (the store says so by the commit set's fingerprint):
			// nothing new to judge, so no read. Any other write gives
			// another fingerprint, and is read. Until all of them are
			// seen landing, a later change may still be theirs.
			if lands.final(p.Fingerprint) {
				delete(e.settled, ref)
			}
			e.mu.Unlock()
			return true, nil
		}
		delete(e.settled, ref)
		run = &refRun{ref: ref, jobs: map[string]*jobState{}}
		e.runs[ref] = run
	}
	err := run.err
	run.err = nil
	// A ref that changed is read again, but not while evaluations of it
	// run: the change is most often their own verdicts, and one read once
	// they are done sees them all. So is one with a retry due: another
	// member may have stored the verdict meanwhile, and its write is no
	// live change here.
	//
	// A change that only added this run's own verdicts since the read (the
	// change's commit-set fingerprint is the one read plus theirs) is not
	// read either: there is nothing new in it to judge.
	//
	// A run that shed its judge jobs is not read while it waits for its
	// turn for a judge slot (a freed slot takes it off the queue and
	// wakes it), only then, once none of its evaluations runs; what
	// changed meanwhile is in that read.
	own := run.lands.has(p.Fingerprint)
	running := run.running()
	var stale bool
	if run.shed {
		stale = !running && !e.queued[poolJudge][ref]
	} else {
		stale = run.read.IsZero() || (!running && (run.retryDue(now) || (!run.read.Equal(p.LastChange) && !own)))
	}
	e.mu.Unlock()
	if err != nil {
		return false, err
	}
	if stale {
		if gone, err := e.read(ctx, ref, run, p.LastChange, p.Fingerprint); gone || err != nil {
			return gone, err
		}
	}
	var (
		due     []*jobState
		busy    bool
		retryAt time.Time
	)
	e.mu.Lock()
	for _, key := range run.order {
		js := run.jobs[key]
		if js == nil {
			continue // settled
		}
		switch js.status {
		case jobRunning:
			busy = true
		case jobQueued:
			due = append(due, js)
		case jobRetry:
			if !now.Before(js.notBefore) {
				due = append(due, js)
			} else if retryAt.IsZero() || js.notBefore.Before(retryAt) {
				retryAt = js.notBefore
			}
		}
	}
	waiting, shed := run.waiting, run.shed
	e.mu.Unlock()
	blocked := e.startJobs(ctx, run, due, now)
	switch {
	case blocked[poolLocal] || blocked[poolJudge]:
		// Parked until a slot of a pool it waits for frees (the job that
		// frees it wakes the first waiter). A slot freed since the try
		// found no waiter: look again on the next step.
		p.RetryAt = follow.FarFuture
		e.mu.Lock()
		for i, b := range blocked {
			if b && !e.queued[i][ref] {
				e.queued[i][ref] = true
				e.waiters[i] = append(e.waiters[i], ref)
			}
		}
		if blocked[poolJudge] && len(e.queued[poolJudge]) > e.maxHeld {
			run.shedJudgeJobs()
		}
		e.mu.Unlock()
		for i, b := range blocked {
			if b && !full(e.pools[i]) {
				p.RetryAt = time.Time{}
			}
		}
		return false, nil
	case busy || len(due) > 0:
		p.RetryAt = follow.FarFuture // until its evaluations wake it
		return false, nil
	case !retryAt.IsZero():
		p.RetryAt = retryAt
		return false, nil
	case waiting:
		p.RetryAt = follow.FarFuture // until the next change
		return false, nil
	case shed:
		p.RetryAt = follow.FarFuture // until its turn for a judge slot
		return false, nil
	}
	e.mu.Lock()
	if run.fp != 0 {
		if len(e.settled) >= maxSettled {
			clear(e.settled)
		}
		e.settled[ref] = run.lands
	}
	e.mu.Unlock()
	e.forget(ref)
	return true, nil
}

// read brings run up to date with the ref's tree: a pair whose entity now
// holds a verdict is dropped, a new one is queued, the others keep their
// state (a queued or retrying one with the subject as it is now). The
// tree is the indexer's, planned as it was assembled (observe), when that
// plan is of the commit set the change that made the ref pending names
// (fp); else read is the one to assemble it. gone reports a ref deleted
// (retention) before it was judged.
func (e *engine) read(ctx context.Context, ref commit.NodeRef, run *refRun, seen time.Time, fp uint64) (gone bool, err error) {
	e.mu.Lock()
	pl, ok := e.plans.take(ref)
	e.mu.Unlock()
	if !ok || fp == 0 || pl.fp != fp {
		opt := tree.WithPrices(e.st.Prices())
		switch ref.Kind {
		case commit.EntitySession:
			s, err := tree.AssembleSession(ctx, e.st, ref, opt)
			if errors.Is(err, store.ErrNotFound) {
				e.forget(ref)
				return true, nil
			}
			if err != nil {
				return false, fmt.Errorf("assemble session: %w", err)
			}
			pl = e.plan(ref, "", []*tree.TreeNode{s.Root}, nil, nil, 0)
		default:
			t, err := tree.AssembleTrace(ctx, e.st, ref, opt)
			if errors.Is(err, store.ErrNotFound) {
				e.forget(ref)
				return true, nil
			}
			if err != nil {
				return false, fmt.Errorf("assemble trace: %w", err)
			}
			pl = e.planTrace(ref, t)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for key, js := range run.jobs {
		if _, ok := pl.jobs[key]; !ok && js.status != jobRunning {
			delete(run.jobs, key)
		}
	}
	for key := range run.settled {
		if _, ok := pl.jobs[key]; !ok {
			delete(run.settled, key)
		}
	}
	order := pl.order
	for _, key := range order {
		j := pl.jobs[key]
		j.run = run
		js, ok := run.jobs[key]
		_, settled := run.settled[key]
		switch {
		case settled:
		case !ok:
			run.jobs[key] = &jobState{job: j}
		case js.status == jobQueued || js.status == jobRetry:
			js.job = j
		}
	}
	for key := range run.jobs { // running, no longer selected: still awaited
		if _, ok := pl.jobs[key]; !ok {
			order = append(order, key)
		}
	}
	run.order, run.waiting, run.read, run.shed = order, pl.waiting, seen, false
	run.fp, run.minted = pl.fp, nil
	run.lands.reset(pl.fp)
	return false, nil
}

// plan is what one look at a ref's tree finds to do: the (entity,
// evaluator) pairs due, by claim key and in tree order (jobs without
// their run), whether an entity it would judge has not ended yet, and
// the trace's commit-set fingerprint (0 for a session).
type plan struct {
	jobs    map[string]job
	order   []string
	waiting bool
	fp      uint64
}

// observe plans, from a tree the indexer just assembled, what a read of
// it would: the change that carries the tree reaches the follower next,
// and when the ref comes due with the same fingerprint, read takes this
// plan instead of assembling the tree again (a fifth of the collector's
// CPU under SDK load with configs/evals.yaml). Only ended traces the
// engine has not read yet are planned: an open trace is planned again
// when it ends, and a read one changes by its own verdicts.
func (e *engine) observe(ref commit.NodeRef, t *tree.Trace) {
	if ref.Kind != commit.EntityTrace || t.Root == nil || !t.Root.Ended || !e.fl.Follows(ref.Repo) {
		return
	}
	e.mu.Lock()
	run := e.runs[ref]
	_, settled := e.settled[ref]
	skip := settled || (run != nil && !run.read.IsZero())
	e.mu.Unlock()
	if skip {
		return
	}
	pl := e.planTrace(ref, t)
	e.mu.Lock()
	e.plans.put(ref, pl)
	e.mu.Unlock()
}

// planTrace plans a trace: its evaluable nodes, with the documents its
// retrievals returned as context and, for a trace written from OTLP, the
// spans the verdicts link to.
func (e *engine) planTrace(ref commit.NodeRef, t *tree.Trace) plan {
	var (
		nodes []*tree.TreeNode
		// otlpRoot is the trace node of a trace written from OTLP.
		otlpRoot *tree.TreeNode
	)
	if t.Root.Origin == commit.OriginOTLP {
		otlpRoot = t.Root
	}
	tree.Walk(t.Root, func(n *tree.TreeNode) {
		if n.Kind != commit.EntitySession && slices.Contains(evaluableKinds, string(n.Kind)) {
			nodes = append(nodes, n)
		}
	})
	return e.plan(ref, ref.ID, nodes, retrievalContext(t.Root), otlpRoot, t.Fingerprint)
}

// plan lists the pairs due on nodes.
func (e *engine) plan(ref commit.NodeRef, traceID string, nodes []*tree.TreeNode, retrieved []string, otlpRoot *tree.TreeNode, fp uint64) plan {
	pl := plan{jobs: map[string]job{}, fp: fp}
	for _, n := range nodes {
		var (
			s      evaluate.Subject
			digest *subjectDigest
		)
		for _, ev := range e.evs {
			if !ev.selects(ref.Repo, n) || hasVerdict(n, ev.name) {
				continue
			}
			if !n.Ended {
				pl.waiting = true // judged once it ends
				continue
			}
			if digest == nil {
				// One subject and one digest for the node's evaluators.
				s, digest = subjectOf(ref.Repo, traceID, n, retrieved), &subjectDigest{}
			}
			key := claimKey(ev.name, s)
			j := job{ev: ev, subject: s, key: key, digest: digest}
			if otlpRoot != nil {
				j.link = linkOf(traceID, otlpRoot, n)
			}
			pl.jobs[key] = j
			pl.order = append(pl.order, key)
		}
	}
	return pl
}

// forget drops what is known of a ref that is no longer pending.
func (e *engine) forget(ref commit.NodeRef) {
	e.mu.Lock()
	delete(e.runs, ref)
	e.plans.drop(ref)
	e.mu.Unlock()
}

// hasVerdict reports whether n already holds a verdict of evaluator name.
func hasVerdict(n *tree.TreeNode, name string) bool {
	for _, ev := range n.Evaluations {
		if ev.With == tree.EvaluationWithResult && ev.Evaluator == name {
			return true
		}
	}
	return false
}

// startJobs starts the jobs whose pool has a free slot, each on its own
// goroutine, and reports the pools that had none (those jobs stay queued).
// Each frees its slot once its evaluation is done (it may still wait for
// its verdict's hand-off) and wakes the first ref waiting for one, then
// records its outcome in its jobState (a hand-off error in run) and wakes
// its own ref.
func (e *engine) startJobs(ctx context.Context, run *refRun, due []*jobState, now time.Time) (blocked [2]bool) {
	for _, js := range due {
		pool := poolOf(js.ev)
		select {
		case e.pools[pool] <- struct{}{}:
		default:
			blocked[pool] = true
			continue
		}
		e.mu.Lock()
		js.status = jobRunning
		e.started++
		j := js.job
		e.mu.Unlock()
		e.jobs.Add(1)
		go func() {
			defer e.jobs.Done()
			var once sync.Once
			free := func() {
				once.Do(func() {
					<-e.pools[pool]
					if next, ok := e.nextWaiter(pool); ok {
						e.fl.Wake(next)
					}
				})
			}
			retryAt, err := e.judge(ctx, j, now, free)
			free()
			e.mu.Lock()
			switch {
			case err != nil:
				js.status = jobQueued // redone after the follower's backoff
				if run.err == nil {
					run.err = err
				}
			case !retryAt.IsZero():
				js.status, js.notBefore = jobRetry, retryAt
			default:
				// Only its key stays, until the ref leaves the pending
				// set (refRun.settled).
				delete(run.jobs, js.key)
				if run.settled == nil {
					run.settled = map[string]struct{}{}
				}
				run.settled[js.key] = struct{}{}
			}
			e.mu.Unlock()
			e.fl.Wake(run.ref)
		}()
	}
	return blocked
}

// nextWaiter takes the first ref waiting for a slot of pool that is still
// pending here.
func (e *engine) nextWaiter(pool int) (commit.NodeRef, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for len(e.waiters[pool]) > 0 {
		ref := e.waiters[pool][0]
		e.waiters[pool] = e.waiters[pool][1:]
		delete(e.queued[pool], ref)
		if e.runs[ref] != nil {
			return ref, true
		}
	}
	return commit.NodeRef{}, false
}

// wait waits for the evaluations in flight (shutdown, tests); with their
// context live that includes the hand-off of their verdicts.
func (e *engine) wait() { e.jobs.Wait() }

// shutdown waits for the evaluations in flight (their context has ended)
// and hands on the verdicts they left in a batch, with ctx: verdicts
// reached before the shutdown are stored rather than redone by the next
// start.
func (e *engine) shutdown(ctx context.Context) error {
	if e.stopObserving != nil {
		e.stopObserving()
	}
	e.wait()
	if err := e.batch.flush(ctx); err != nil {
		return fmt.Errorf("genai_eval: hand the last verdicts on: %w", err)
	}
	return nil
}

// startedCount is how many evaluations were started so far.
func (e *engine) startedCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.started
}

func claimKey(ev string, s evaluate.Subject) string {
	return "eval/" + url.PathEscape(ev) + "/" + s.Kind + "/" + url.PathEscape(s.EntityID)
}

// judge claims (an LLM judge), evaluates and hands the verdict on. A
// non-zero time means "not finished, look again then" (claimed elsewhere,
// or a failed round). It runs on its own goroutine (startJobs) and calls
// free once the evaluation is done, before it waits for the verdict's
// hand-off.
//
// Only evaluators that call out take a claim: the claim exists so that a
// fleet does not pay a judge twice for one entity. A deterministic
// evaluator runs without one (a claim is two synced store writes, more
// than the evaluation), and "one verdict per entity and evaluator" still
// holds: its verdict's commit id is a hash of the evaluator and the
// subject (verdictID), not of the verdict, so a second evaluation of the
// same subject (another member, or this one after kill -9 between the
// evaluation and the stored verdict: the follower's checkpoint is still
// before the ref, the catch-up brings it back and nothing marks it done)
// writes the same commit id and the store keeps one; once the verdict is
// stored, every later look finds it (hasVerdict) and evaluates nothing.
func (e *engine) judge(ctx context.Context, j job, now time.Time, free func()) (time.Time, error) {
	s, key := j.subject, j.key
	if j.ev.remote {
		won, err := e.st.Claim(ctx, s.Repo, key, e.owner, now, now.Add(e.cfg.ClaimTTL))
		if err != nil {
			return time.Time{}, fmt.Errorf("claim %s: %w", key, err)
		}
		if !won {
			// Another member judges it (or did: its verdict arrives with a
			// change). Look again when its claim would have expired.
			return now.Add(e.cfg.ClaimTTL), nil
		}
	}
	res, evalErr := j.ev.ev.Evaluate(ctx, s)
	if ctx.Err() != nil {
		return time.Time{}, ctx.Err() // shutting down: the next start redoes it (a judge once its claim expires)
	}
	switch {
	case errors.Is(evalErr, evaluate.ErrNotApplicable):
		j.ev.count(ctx, e.tel, metadata.OutcomeNotApplicable)
		// No verdict: release the claim, so another member that lost it
		// decides the same for itself (cheaply) instead of waiting for a
		// verdict that never comes.
		return time.Time{}, e.release(ctx, j, now)
	case evalErr != nil:
		e.mu.Lock()
		e.failures[key]++
		n := e.failures[key]
		if n <= e.cfg.ErrorRetries {
			// What the failed round cost goes on the verdict.
			e.spent[key] = e.spent[key].Add(res.Judge)
		}
		e.mu.Unlock()
		if n <= e.cfg.ErrorRetries {
			backoff := e.cfg.ErrorBackoff << (n - 1)
			e.logger.Warn("Evaluation failed; will retry", zap.String("evaluator", j.ev.name), zap.String("repo", s.Repo),
				zap.String("kind", s.Kind), zap.String("id", s.EntityID), zap.Int("round", n), zap.Duration("backoff", backoff), zap.Error(evalErr))
			// A judge's claim is released by expiry; this member retries
			// first.
			return now.Add(backoff), nil
		}
		// The error is the verdict; the judge's spend stays on it.
		res = evaluate.Result{Evaluator: j.ev.name, Judge: res.Judge}
	}
	e.mu.Lock()
	// The verdict carries the judge's spend over every round: the calls
	// (attempts), tokens and cost of the failed ones too.
	res.Judge = e.spent[key].Add(res.Judge)
	e.mu.Unlock()
	handed, err := e.emit(ctx, j, res, evalErr, now)
	if err != nil {
		return time.Time{}, err
	}
	free()
	select {
	case err = <-handed:
	case <-ctx.Done():
		// Shutting down: the shutdown's flush hands the verdict on, or the
		// next start redoes it (a judge's claim is not marked done).
		return time.Time{}, ctx.Err()
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("%s verdict on %s/%s: %w", j.ev.name, s.Kind, s.EntityID, err)
	}
	outcome := metadata.OutcomePassed
	switch {
	case evalErr != nil:
		outcome = metadata.OutcomeErrored
		e.logger.Warn("Evaluation failed; error recorded", zap.String("evaluator", j.ev.name), zap.String("repo", s.Repo),
			zap.String("kind", s.Kind), zap.String("id", s.EntityID), zap.Error(evalErr))
	case !res.Pass:
		outcome = metadata.OutcomeFailed
	}
	j.ev.count(ctx, e.tel, outcome)
	e.mu.Lock()
	delete(e.failures, key)
	delete(e.spent, key)
	e.mu.Unlock()
	return time.Time{}, e.finish(ctx, j, now)
}

// release gives a judge's claim up at once (it expires now). A failure
// only delays the others until claim_ttl, so it is logged.
func (e *engine) release(ctx context.Context, j job, now time.Time) error {
	if !j.ev.remote {
		return nil // no claim
	}
	if _, err := e.st.Claim(ctx, j.subject.Repo, j.key, e.owner, now, now); err != nil {
		e.logger.Debug("Could not release a claim", zap.String("key", j.key), zap.Error(err))
	}
	return nil
}

// finish marks a judge's claim done for ever. A failure is harmless (the
// verdict is in the tree and is seen before any claim), so it is logged.
func (e *engine) finish(ctx context.Context, j job, now time.Time) error {
	if !j.ev.remote {
		return nil // no claim
	}
	if _, err := e.st.Claim(ctx, j.subject.Repo, j.key, e.owner, now, doneForever); err != nil {
		e.logger.Debug("Could not mark a claim done", zap.String("key", j.key), zap.Error(err))
	}
	return nil
}

// verdictData is the data of an evaluate {with:"result"} commit, the shape
// the fold reads (docs/tree-json.md).
type verdictData struct {
	With      string        `json:"with"`
	Evaluator string        `json:"evaluator"`
	Score     *float64      `json:"score,omitempty"`
	Pass      *bool         `json:"pass,omitempty"`
	Reason    string        `json:"reason,omitempty"`
	Judge     *verdictJudge `json:"judge,omitempty"`
	Error     string        `json:"error,omitempty"`
	Timestamp string        `json:"timestamp"`
}

type verdictJudge struct {
	Model        string   `json:"model,omitempty"`
	InputTokens  int64    `json:"inputTokens,omitempty"`
	OutputTokens int64    `json:"outputTokens,omitempty"`
	Cost         *float64 `json:"cost,omitempty"`
	Attempts     int      `json:"attempts,omitempty"`
}

// verdictCommit builds the evaluate commit of a verdict. Its id is not the
// content hash but a hash of what was judged (repo, entity, evaluator and
// the subject's fingerprint): the judge's words, usage and the timestamp
// differ between two runs, the id does not, so a replay, a restart that
// judges again or two members racing store one commit (the store keeps
// the first: set union by commit id).
func verdictCommit(s evaluate.Subject, name string, res evaluate.Result, evalErr error, now time.Time, version int64) (commit.Commit, error) {
	return verdictCommitOf(s, subjectSum(s), name, res, evalErr, now, version)
}

// verdictCommitOf is verdictCommit with the subject's hash (subjectSum)
// already computed.
func verdictCommitOf(s evaluate.Subject, sum [sha256.Size]byte, name string, res evaluate.Result, evalErr error, now time.Time, version int64) (commit.Commit, error) {
	d := verdictData{With: tree.EvaluationWithResult, Evaluator: name, Timestamp: now.UTC().Format(time.RFC3339Nano)}
	if evalErr != nil {
		d.Error = evalErr.Error()
	} else {
		score, pass := res.Score, res.Pass
		d.Score, d.Pass, d.Reason = &score, &pass, res.Reason
	}
	if j := res.Judge; j != nil {
		d.Judge = &verdictJudge{Model: j.Model, InputTokens: j.InputTokens, OutputTokens: j.OutputTokens, Attempts: j.Attempts}
		if j.HasCost {
			c := j.CostUSD
			d.Judge.Cost = &c
		}
	}
	data, err := json.Marshal(d)
	if err != nil {
		return commit.Commit{}, fmt.Errorf("encode verdict: %w", err)
	}
	c := commit.Commit{Repo: s.Repo, Entity: commit.Entity(s.Kind), EntityID: s.EntityID, Action: commit.ActionEvaluate,
		Data: data, Version: version}
	c.ID = verdictIDOf(s, sum, name)
	return c, nil
}

// verdictID hashes the evaluator and what it judged.
func verdictID(s evaluate.Subject, name string) commit.ID {
	return verdictIDOf(s, subjectSum(s), name)
}

// verdictIDOf is verdictID with the subject's hash (subjectSum).
func verdictIDOf(s evaluate.Subject, sum [sha256.Size]byte, name string) commit.ID {
	return commit.ComputeID(s.Repo, commit.Entity(s.Kind), s.EntityID, commit.ActionEvaluate,
		append([]byte(verdictSource+"\x00"+name+"\x00"), sum[:]...))
}

// emit puts one verdict into the batch for the logs pipeline as one log
// record, exactly as the mxin receiver emits commits; on an entity written
// from OTLP the record is also the gen_ai.evaluation.result event
// (verdictLogs). The batch's outcome arrives on the channel.
func (e *engine) emit(ctx context.Context, j job, res evaluate.Result, evalErr error, now time.Time) (<-chan error, error) {
	c, err := verdictCommitOf(j.subject, j.digest.of(j.subject), j.ev.name, res, evalErr, now, e.ver.Reserve(1))
	if err != nil {
		return nil, err
	}
	if j.run != nil {
		e.mu.Lock()
		j.run.mint(c.ID)
		e.mu.Unlock()
	}
	ld, err := verdictLogs(c, j.link, now)
	if err != nil {
		return nil, err
	}
	return e.batch.add(ctx, ld), nil
}

// selects reports whether ev judges node n of repo: the filter, then the
// deterministic sample.
func (ev *evaluator) selects(repo string, n *tree.TreeNode) bool {
	f := &ev.filter
	if len(f.Repositories) > 0 && !slices.Contains(f.Repositories, repo) {
		return false
	}
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, string(n.Kind)) {
		return false
	}
	if len(f.Names) > 0 && !slices.Contains(f.Names, n.Name) {
		return false
	}
	if len(f.Models) > 0 {
		model := n.Model
		if !slices.Contains(f.Models, model) && (n.Completion == nil || !slices.Contains(f.Models, n.Completion.Model)) {
			return false
		}
	}
	for k, v := range f.Tags {
		if n.Tags[k] != v {
			return false
		}
	}
	return sampled(ev.name, repo, string(n.Kind), n.ID, ev.rate)
}

// sampled decides by a hash of (evaluator, repo, kind, id), so every
// collector and every replay samples the same entities.
func sampled(name, repo, kind, id string, rate float64) bool {
	if rate >= 1 {
		return true
	}
	if rate <= 0 {
		return false
	}
	h := sha256.Sum256([]byte(name + "\x00" + repo + "\x00" + kind + "\x00" + id))
	x := binary.BigEndian.Uint64(h[:8])
	return float64(x>>11)/float64(1<<53) < rate
}
