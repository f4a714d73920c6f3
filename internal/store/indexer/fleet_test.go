package indexer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap/zaptest"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pgstore"
	"github.com/otelcol-genai/otelcol-genai/internal/store/pgstore/pgtest"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Fleet indexing against PostgreSQL: several indexers, each on its own
// pgstore handle (its own pool, like separate gateways), on one schema.

// fleetSchema returns a fresh schema, dropped when the test ends.
func fleetSchema(t *testing.T) (dsn, schema string) {
	dsn = pgtest.Require(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema = "indexer_t_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop schema: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	return dsn, schema
}

func openPG(t *testing.T, dsn, schema string) *pgstore.Store {
	t.Helper()
	cfg := pgstore.DefaultConfig()
	cfg.DSN = configopaque.String(dsn)
	cfg.Schema = schema
	cfg.MaxConns = 4
	cfg.Retry.MaxElapsedTime = 20 * time.Second
	s, err := pgstore.New(context.Background(), cfg, zaptest.NewLogger(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// member is one gateway: a pgstore handle, its indexer, a summarizer that
// counts what this member summarized, and its metrics.
type member struct {
	name   string
	st     *pgstore.Store
	ix     *Indexer
	sum    *countingSummarizer
	reader *sdkmetric.ManualReader
}

// longTTL is the lease TTL of the tests that assert who indexed what: no
// lease may expire during them, and under a full `make test` on two cores a
// renewal was seen delayed by seconds. Nothing in those tests waits for an
// expiry; rebalancing gives surplus shards back without one, at each lease
// round (every fleetRenewEvery).
const longTTL = time.Minute

// fleetRenewEvery is how often the test members run a lease round.
const fleetRenewEvery = 300 * time.Millisecond

func fleetConfig(ttl time.Duration) Config {
	cfg := testConfig()
	cfg.Debounce = time.Millisecond
	// Other members' writes are seen by polling.
	cfg.PollInterval = 50 * time.Millisecond
	cfg.Lease.TTL = ttl
	cfg.leaseEvery = fleetRenewEvery
	return cfg
}

// startPair starts members A and B on one schema and waits until they
// have split the shards evenly.
func startPair(t *testing.T, dsn, schema string, cfg Config) (a, b *member) {
	t.Helper()
	a = startMember(t, "A", dsn, schema, cfg)
	b = startMember(t, "B", dsn, schema, cfg)
	eventually(t, "an even split of the shards", func() bool {
		return a.held() == pgstore.ChangeLogShards/2 && b.held() == pgstore.ChangeLogShards/2
	})
	return a, b
}

func startMember(t *testing.T, name, dsn, schema string, cfg Config) *member {
	t.Helper()
	m := &member{name: name, st: openPG(t, dsn, schema), sum: &countingSummarizer{}, reader: sdkmetric.NewManualReader()}
	meter := sdkmetric.NewMeterProvider(sdkmetric.WithReader(m.reader)).Meter("test")
	changes, err := meter.Int64Counter("changes_indexed")
	require.NoError(t, err)
	held, err := meter.Int64Gauge("shards_held")
	require.NoError(t, err)
	m.ix, err = New(m.st, cfg, Settings{
		Logger:     zaptest.NewLogger(t).Named(name),
		Summarizer: m.sum,
		Telemetry:  Telemetry{ChangesIndexed: changes, ShardsHeld: held},
	})
	require.NoError(t, err)
	require.NotNil(t, m.ix.fleet, "pgstore offers fleet indexing")
	require.NoError(t, m.ix.Start(context.Background()))
	t.Cleanup(func() { _ = m.ix.Shutdown(context.Background()) })
	return m
}

// metric returns the named instrument's value (sum or last gauge value).
func (m *member) metric(t *testing.T, name string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, m.reader.Collect(context.Background(), &rm))
	for _, sm := range rm.ScopeMetrics {
		for _, mt := range sm.Metrics {
			if mt.Name != name {
				continue
			}
			switch d := mt.Data.(type) {
			case metricdata.Sum[int64]:
				var v int64
				for _, p := range d.DataPoints {
					v += p.Value
				}
				return v
			case metricdata.Gauge[int64]:
				if len(d.DataPoints) > 0 {
					return d.DataPoints[0].Value
				}
			}
		}
	}
	return 0
}

func (m *member) held() int { return len(m.ix.fleet.shards(false)) }

// summarized returns how often this member summarized each trace.
func (m *member) summarized() map[string]int {
	m.sum.mu.Lock()
	defer m.sum.mu.Unlock()
	return maps.Clone(m.sum.calls)
}

// crash stops the member's loops without indexing what is left or giving
// back its leases: to the others it is a member that stopped renewing.
func (m *member) crash() {
	m.ix.cancel()
	m.ix.wg.Wait()
	m.ix.cancel = nil
	m.ix.fleet.mu.Lock()
	clear(m.ix.fleet.held)
	m.ix.fleet.mu.Unlock()
}

// reposPerShard returns one repository name per shard, so every member of
// a fleet gets work.
func reposPerShard(prefix string) []string {
	out := make([]string, pgstore.ChangeLogShards)
	found := 0
	for i := 0; found < len(out); i++ {
		r := fmt.Sprintf("%s%d", prefix, i)
		if s := pgstore.ShardOf(r); out[s] == "" {
			out[s] = r
			found++
		}
	}
	return out
}

// traceCommits is one trace of repo with spans spans.
func traceCommits(repo, id string, spans int, version int64) []commit.Commit {
	mkr := func(e commit.Entity, eid string, a commit.Action, data string) commit.Commit {
		c := mk(e, eid, a, data, version)
		c.Repo = repo
		c.Seal()
		return c
	}
	cs := []commit.Commit{mkr(commit.EntityTrace, id, commit.ActionCreate, `{"name":"`+id+`"}`)}
	for i := range spans {
		sid := fmt.Sprintf("%s-s%d", id, i)
		cs = append(cs,
			mkr(commit.EntityTrace, id, commit.ActionAddSpan, `{"id":"`+sid+`"}`),
			mkr(commit.EntitySpan, sid, commit.ActionCreate, `{"name":"`+sid+`"}`))
	}
	return cs
}

// fleetTraffic applies traces traces of spans spans to each repo, through
// the given stores in turn, and returns the trace ids by repo.
func fleetTraffic(t *testing.T, via []store.Backend, repos []string, traces, spans int, tag string) map[string][]string {
	t.Helper()
	ids := map[string][]string{}
	i := 0
	for _, repo := range repos {
		for k := range traces {
			id := fmt.Sprintf("%s-%s-t%d", repo, tag, k)
			ids[repo] = append(ids[repo], id)
			cs := traceCommits(repo, id, spans, int64(1000+k))
			require.NoError(t, via[i%len(via)].Apply(context.Background(), cs, edgesOf(cs)))
			i++
		}
	}
	return ids
}

// allIndexed reports whether every trace has its row with spans nodes.
func allIndexed(t *testing.T, s store.Backend, ids map[string][]string, spans int) bool {
	t.Helper()
	for repo, want := range ids {
		p, err := s.SearchTraces(context.Background(), store.TraceQuery{Repo: repo, Limit: 1000})
		require.NoError(t, err)
		rows := map[string]store.TraceSummary{}
		for _, r := range p.Traces {
			rows[r.TraceID] = r
		}
		for _, id := range want {
			r, ok := rows[id]
			if !ok || r.Name != id || r.Counts["nodes"] != spans {
				return false
			}
		}
	}
	return true
}

// awaitListeners waits until n connections LISTEN on the schema's live-feed
// channel: a member starts listening in the background, and a NOTIFY sent
// before its LISTEN never reaches it.
func awaitListeners(t *testing.T, dsn, schema string, n int) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	// The channel as pgstore names it (a short schema name is kept whole).
	listen := `LISTEN "genai_changes_` + schema + `"`
	eventually(t, fmt.Sprintf("%d members listening", n), func() bool {
		var got int
		require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE query = $1`, listen).Scan(&got))
		return got >= n
	})
}

// logHead is how many change-log entries were ever written.
func logHead(t *testing.T, dsn, schema string) int64 {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var v int64
	require.NoError(t, conn.QueryRow(ctx, `SELECT value FROM "`+schema+`".counters WHERE name = 'change_log_head'`).Scan(&v))
	return v
}

// TestFleetIndexesEachChangeOnce is the acceptance test: with two
// gateways on one database, each change is indexed once. The members split
// the shards; after the traffic every summary is right, the members'
// changes-indexed counts add up to the change-log entries, and no trace was
// summarized by both.
func TestFleetIndexesEachChangeOnce(t *testing.T) {
	dsn, schema := fleetSchema(t)
	// A long TTL (longTTL): a renewal delayed by a loaded machine must not
	// hand a shard over mid-test (that would index some entries twice,
	// correctly but not "once").
	cfg := fleetConfig(longTTL)
	a, b := startPair(t, dsn, schema, cfg)

	const traces, spans = 5, 3
	repos := reposPerShard("once")
	ids := fleetTraffic(t, []store.Backend{a.ix, b.ix}, repos, traces, spans, "x")
	head := logHead(t, dsn, schema)
	eventually(t, "every trace indexed", func() bool { return allIndexed(t, a.st, ids, spans) })
	eventually(t, "every change-log entry indexed", func() bool {
		return a.metric(t, "changes_indexed")+b.metric(t, "changes_indexed") >= head
	})
	require.NoError(t, a.ix.Flush(context.Background()))
	require.NoError(t, b.ix.Flush(context.Background()))

	ca, cb := a.metric(t, "changes_indexed"), b.metric(t, "changes_indexed")
	sa, sb := a.summarized(), b.summarized()
	t.Logf("change-log entries: %d; indexed by A: %d, by B: %d; traces summarized by A: %d, by B: %d; shards held: A %d, B %d",
		head, ca, cb, len(sa), len(sb), a.metric(t, "shards_held"), b.metric(t, "shards_held"))
	assert.Equal(t, head, ca+cb, "each change-log entry is indexed exactly once across the fleet")
	assert.NotZero(t, ca, "A indexed its share")
	assert.NotZero(t, cb, "B indexed its share")
	assert.EqualValues(t, pgstore.ChangeLogShards/2, a.metric(t, "shards_held"))
	var both []string
	for id := range sa {
		if _, ok := sb[id]; ok {
			both = append(both, id)
		}
	}
	slices.Sort(both)
	assert.Empty(t, both, "traces summarized by both members")
	total := 0
	for _, want := range ids {
		for _, id := range want {
			assert.True(t, sa[id]+sb[id] > 0, "trace %s summarized", id)
			total++
		}
	}
	assert.Equal(t, total, len(sa)+len(sb))
}

// TestFleetFailover: a member that stops renewing (crash) has its shards
// taken over after the TTL, and one that shuts down gives them back; in
// both cases the survivor indexes what the stopped member left.
func TestFleetFailover(t *testing.T) {
	for _, how := range []string{"crash", "shutdown"} {
		t.Run(how, func(t *testing.T) {
			dsn, schema := fleetSchema(t)
			cfg := fleetConfig(time.Second)
			a, b := startPair(t, dsn, schema, cfg)
			repos := reposPerShard("fo")
			before := fleetTraffic(t, []store.Backend{a.ix, b.ix}, repos, 2, 2, "before")
			eventually(t, "traffic before the stop indexed", func() bool { return allIndexed(t, b.st, before, 2) })

			switch how {
			case "crash":
				a.crash()
			case "shutdown":
				require.NoError(t, a.ix.Shutdown(context.Background()))
			}
			// Written after A stopped, half of it into A's shards: only a
			// takeover gets it indexed. Half goes through A's store handle
			// (a gateway whose indexer is gone but whose writes landed).
			after := fleetTraffic(t, []store.Backend{a.st, b.ix}, repos, 3, 2, "after")
			eventually(t, "B holds every shard", func() bool { return b.held() == pgstore.ChangeLogShards })
			eventually(t, "traffic after the stop indexed", func() bool { return allIndexed(t, b.st, after, 2) })
			eventually(t, "nothing left in the change log", func() bool {
				for shard := range pgstore.ChangeLogShards {
					refs, _, err := b.st.ShardChangedSince(context.Background(), shard, 0, 0)
					require.NoError(t, err)
					if len(refs) > 0 {
						return false
					}
				}
				return true
			})
		})
	}
}

// TestFleetRebalance: a member alone holds every shard; a newcomer gets a
// fair share without anyone stopping.
func TestFleetRebalance(t *testing.T) {
	dsn, schema := fleetSchema(t)
	// No lease expires here: shards move by being given back. A short TTL
	// would only let a delayed renewal move them too.
	cfg := fleetConfig(longTTL)
	a := startMember(t, "A", dsn, schema, cfg)
	eventually(t, "A holds every shard", func() bool { return a.held() == pgstore.ChangeLogShards })
	b := startMember(t, "B", dsn, schema, cfg)
	eventually(t, "an even split", func() bool {
		return a.held() == pgstore.ChangeLogShards/2 && b.held() == pgstore.ChangeLogShards/2
	})
	c := startMember(t, "C", dsn, schema, cfg)
	// ceil(16/3) = 6: two members hold 6 (or 5) and the third the rest.
	eventually(t, "a three-way split", func() bool {
		ha, hb, hc := a.held(), b.held(), c.held()
		return ha+hb+hc == pgstore.ChangeLogShards && ha >= 4 && hb >= 4 && hc >= 4 && ha <= 6 && hb <= 6 && hc <= 6
	})
	ids := fleetTraffic(t, []store.Backend{c.ix}, reposPerShard("rb"), 2, 1, "x")
	eventually(t, "traffic indexed by the three", func() bool { return allIndexed(t, a.st, ids, 1) })
}

// TestFleetLiveFeed: a subscriber on member B sees a change that member A
// indexed, once.
func TestFleetLiveFeed(t *testing.T) {
	dsn, schema := fleetSchema(t)
	cfg := fleetConfig(longTTL)
	a, b := startPair(t, dsn, schema, cfg)
	// A repository in one of A's shards.
	var repo string
	aShards := a.ix.fleet.shards(false)
	for _, r := range reposPerShard("live") {
		if slices.Contains(aShards, pgstore.ShardOf(r)) {
			repo = r
			break
		}
	}
	// B hears A's NOTIFY only once it listens.
	awaitListeners(t, dsn, schema, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	subB, _ := b.ix.Subscribe(ctx, repo)
	subA, _ := a.ix.Subscribe(ctx, repo)

	cs := traceCommits(repo, "lt", 2, 10)
	// Written through B, indexed by A.
	require.NoError(t, b.ix.Apply(ctx, cs, edgesOf(cs)))
	for name, sub := range map[string]<-chan store.Change{"A": subA, "B": subB} {
		select {
		case c := <-sub:
			assert.Equal(t, repo, c.Repo)
			assert.Contains(t, c.Traces, "lt", "subscriber on %s", name)
			assert.Len(t, c.Nodes, 3, "subscriber on %s: the trace and its two spans", name)
		case <-time.After(20 * time.Second):
			t.Fatalf("subscriber on %s saw nothing", name)
		}
	}
	_, bSummarized := b.summarized()["lt"]
	assert.False(t, bSummarized, "B did not index it: its subscriber heard it from A")
	// And only once: nothing else arrives for B after A's next pass.
	require.NoError(t, a.ix.Flush(ctx))
	select {
	case c := <-subB:
		t.Fatalf("B's subscriber got a second change: %+v", c)
	default:
	}
}

// TestFleetFeedEncoding: a change too large for one NOTIFY payload is split
// by nodes, each part carrying the traces; what a payload cannot carry
// becomes a resync marker.
func TestFleetFeedEncoding(t *testing.T) {
	f := newFeed(nil, "me", nil)
	c := store.Change{Repo: "r", Traces: []string{"t1", "t2"}, Sessions: []string{"s"}, At: time.Unix(0, 42)}
	for i := range 2000 {
		c.Nodes = append(c.Nodes, commit.NodeRef{Repo: "r", Kind: commit.EntitySpan, ID: fmt.Sprintf("span-%04d", i)})
	}
	payloads := f.encode(nil, &c)
	require.Greater(t, len(payloads), 1)
	ix := &Indexer{feed: newFeed(nil, "other", nil), subs: map[*subscriber]struct{}{}, now: time.Now}
	sub := &subscriber{repo: "r", ch: make(chan store.Change, len(payloads))}
	ix.subs[sub] = struct{}{}
	var nodes []commit.NodeRef
	for _, p := range payloads {
		assert.LessOrEqual(t, len(p), store.MaxNotifyPayload)
		ix.receive(p)
		got := <-sub.ch
		assert.Equal(t, c.Traces, got.Traces)
		assert.Equal(t, c.Sessions, got.Sessions)
		assert.Equal(t, c.At, got.At)
		nodes = append(nodes, got.Nodes...)
	}
	assert.Equal(t, c.Nodes, nodes, "the parts carry every node once, in order")

	// Own payloads are not delivered again.
	ix.feed.owner = "me"
	ix.receive(payloads[0])
	assert.Empty(t, sub.ch)
	ix.feed.owner = "other"

	bad := store.Change{Repo: "r", Nodes: []commit.NodeRef{{Repo: "r", Kind: commit.EntitySpan, ID: "\xff"}}}
	p := f.encode(nil, &bad)
	require.Len(t, p, 1)
	ix.receive(p[0])
	assert.Empty(t, (<-sub.ch).Nodes, "an id a payload cannot carry becomes a resync marker")

	badRepo := store.Change{Repo: "\xff", Nodes: []commit.NodeRef{{Repo: "\xff", Kind: commit.EntitySpan, ID: "x"}}}
	p = f.encode(nil, &badRepo)
	require.Len(t, p, 1)
	assert.True(t, strings.Contains(p[0], `"x":2`))
	ix.receive(p[0])
	got := <-sub.ch
	assert.Equal(t, "r", got.Repo, "a resync for every repository reaches each subscriber with its own")
	assert.Empty(t, got.Nodes)
}

// TestFleetMigrationKeepsCheckpoint: a schema at version 5, indexed up to
// its global checkpoint with more entries logged after it, is migrated by
// the first member that opens it; the shards start at the old checkpoint,
// so what was indexed is not indexed again and what was not is.
func TestFleetMigrationKeepsCheckpoint(t *testing.T) {
	dsn, schema := fleetSchema(t)
	ctx := context.Background()
	st := openPG(t, dsn, schema)
	// Index the first traffic with the global change log, as a build
	// before version 6 did (the wrapper hides the sharded capability).
	plain := struct{ store.Backend }{st}
	old := &countingSummarizer{}
	ix, err := New(plain, fleetConfig(time.Second), Settings{Summarizer: old})
	require.NoError(t, err)
	require.Nil(t, ix.fleet)
	require.NoError(t, ix.Start(ctx))
	repos := reposPerShard("mig")
	indexed := fleetTraffic(t, []store.Backend{ix}, repos, 2, 1, "old")
	require.NoError(t, ix.Flush(ctx))
	require.NoError(t, ix.Shutdown(ctx))
	require.True(t, allIndexed(t, st, indexed, 1))
	checkpoint, err := st.IndexCheckpoint(ctx)
	require.NoError(t, err)
	// Logged, never indexed.
	pending := fleetTraffic(t, []store.Backend{st}, repos, 2, 1, "new")

	// Take the schema back to version 5.
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	q := `"` + schema + `"`
	for _, stmt := range []string{
		`DROP TABLE ` + q + `.index_shards`,
		`DROP TABLE ` + q + `.index_members`,
		`DROP INDEX ` + q + `.change_log_shard`,
		`ALTER TABLE ` + q + `.change_log DROP COLUMN shard`,
		`DELETE FROM ` + q + `.schema_migrations WHERE version = 6`,
	} {
		_, err := conn.Exec(ctx, stmt)
		require.NoError(t, err, stmt)
	}
	var version int
	require.NoError(t, conn.QueryRow(ctx, `SELECT max(version) FROM `+q+`.schema_migrations`).Scan(&version))
	require.Equal(t, 5, version)

	// Two members open it (one migrates); they index what is pending only.
	cfg := fleetConfig(longTTL)
	a := startMember(t, "A", dsn, schema, cfg)
	b := startMember(t, "B", dsn, schema, cfg)
	var cps []int64
	rows, err := conn.Query(ctx, `SELECT checkpoint FROM `+q+`.index_shards ORDER BY shard`)
	require.NoError(t, err)
	for rows.Next() {
		var v int64
		require.NoError(t, rows.Scan(&v))
		cps = append(cps, v)
	}
	require.NoError(t, rows.Err())
	require.Len(t, cps, pgstore.ChangeLogShards)
	for _, v := range cps {
		assert.GreaterOrEqual(t, v, int64(checkpoint), "a shard starts at the old global checkpoint")
	}
	eventually(t, "the pending traffic indexed", func() bool { return allIndexed(t, a.st, pending, 1) })
	summarized := map[string]int{}
	for _, m := range []*member{a, b} {
		for id, n := range m.summarized() {
			summarized[id] += n
		}
	}
	for _, want := range indexed {
		for _, id := range want {
			assert.NotContains(t, summarized, id, "trace %s, indexed before the upgrade, was indexed again", id)
		}
	}
}

// TestFleetLostLeaseStopsIndexing: a member whose lease was taken over
// drops the shard at its next renewal and indexes none of its entries.
func TestFleetLostLeaseStopsIndexing(t *testing.T) {
	dsn, schema := fleetSchema(t)
	// A long TTL: the takeover below is the intruder's, not an expiry, and
	// with a short one a renewal delayed by a loaded machine drops other
	// shards too (held is then below 15 until they are taken again).
	a := startMember(t, "A", dsn, schema, fleetConfig(longTTL))
	eventually(t, "A holds every shard", func() bool { return a.held() == pgstore.ChangeLogShards })
	repo := reposPerShard("lost")[7]
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `UPDATE "`+schema+`".index_shards SET owner = 'intruder', until = now() + interval '1 hour' WHERE shard = 7`)
	require.NoError(t, err)
	eventually(t, "A dropped shard 7", func() bool { return !slices.Contains(a.ix.fleet.shards(false), 7) })
	assert.Equal(t, pgstore.ChangeLogShards-1, a.held())

	cs := traceCommits(repo, "lost-t", 1, 10)
	require.NoError(t, a.ix.Apply(ctx, cs, edgesOf(cs)))
	require.NoError(t, a.ix.Flush(ctx))
	_, summarized := a.summarized()["lost-t"]
	assert.False(t, summarized, "A indexed a shard it no longer holds")
	refs, _, err := a.st.ShardChangedSince(ctx, 7, 0, 0)
	require.NoError(t, err)
	assert.NotEmpty(t, refs, "shard 7's entries wait for its holder")
}

// failingLeases is a ShardedChangeLog whose lease calls fail, as when the
// database is unreachable.
type failingLeases struct{ store.ShardedChangeLog }

func (failingLeases) HeartbeatIndexMember(context.Context, string, time.Duration) error {
	return fmt.Errorf("unreachable")
}

// TestLeaseDeadline: a member that cannot renew stops indexing its shards
// once its deadline passed, and a pass covering them is cancelled.
func TestLeaseDeadline(t *testing.T) {
	f := newFleet(failingLeases{}, time.Second, 0, zaptest.NewLogger(t), &Telemetry{}, func() {})
	f.tel.fill()
	f.held[1] = &lease{deadline: time.Now().Add(time.Hour)}
	f.held[2] = &lease{deadline: time.Now().Add(-time.Millisecond)}
	work, passCtx, end := f.beginPass(context.Background())
	defer end()
	require.Len(t, work, 1, "a pass leaves out a shard past its deadline")
	assert.Equal(t, 1, work[0].shard)

	f.tick(context.Background())
	assert.Equal(t, []int{1}, f.shards(false), "the expired lease is dropped, the other kept until its deadline")
	assert.NoError(t, passCtx.Err())

	f.mu.Lock()
	f.held[1].deadline = time.Now()
	f.mu.Unlock()
	f.tick(context.Background())
	assert.Empty(t, f.shards(false))
	assert.Error(t, passCtx.Err(), "the pass over a lost shard is cancelled")
}

// TestFleetWakesTheHolder: a write through one member into a shard another
// member holds wakes the holder, which indexes it without waiting for its
// poll (here a minute, longer than the test waits).
func TestFleetWakesTheHolder(t *testing.T) {
	dsn, schema := fleetSchema(t)
	cfg := fleetConfig(longTTL)
	cfg.PollInterval = time.Minute
	a, b := startPair(t, dsn, schema, cfg)
	aShards := a.ix.fleet.shards(false)
	var repo string
	for _, r := range reposPerShard("wake") {
		if slices.Contains(aShards, pgstore.ShardOf(r)) {
			repo = r
			break
		}
	}
	// A hears B's wake-up only once it listens.
	awaitListeners(t, dsn, schema, 2)
	for i := range 3 {
		id := fmt.Sprint("w", i)
		cs := traceCommits(repo, id, 1, int64(10+i))
		require.NoError(t, b.ix.Apply(context.Background(), cs, edgesOf(cs)))
		eventually(t, "A indexed "+id, func() bool {
			return allIndexed(t, b.st, map[string][]string{repo: {id}}, 1)
		})
	}
	_, bSummarized := b.summarized()["w0"]
	assert.False(t, bSummarized, "the holder, A, indexed it")
}

// TestFleetRebalanceUnderTraffic: while traces keep arriving, a second and
// a third member join and the shards move twice; still every change-log
// entry is indexed exactly once (a shard is given back between two passes,
// after its checkpoint was written, and the taker starts from that
// checkpoint).
func TestFleetRebalanceUnderTraffic(t *testing.T) {
	dsn, schema := fleetSchema(t)
	cfg := fleetConfig(longTTL)
	a := startMember(t, "A", dsn, schema, cfg)
	eventually(t, "A holds every shard", func() bool { return a.held() == pgstore.ChangeLogShards })

	repos := reposPerShard("rt")
	ids := map[string][]string{}
	split := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		// Until the three-way split and 100 traces more, at most 3,000.
		extra := 100
		for k := 0; k < 3000 && extra > 0; k++ {
			select {
			case <-split:
				extra--
			default:
			}
			repo := repos[k%len(repos)]
			id := fmt.Sprintf("t%d", k)
			cs := traceCommits(repo, id, 2, int64(k+1))
			if err := a.st.Apply(context.Background(), cs, edgesOf(cs)); err != nil {
				done <- err
				return
			}
			ids[repo] = append(ids[repo], id)
		}
		done <- nil
	}()
	b := startMember(t, "B", dsn, schema, cfg)
	c := startMember(t, "C", dsn, schema, cfg)
	// A pass in progress keeps its shards until it ends, and a pass can be
	// long with traffic arriving, so this wait is generous.
	deadline := time.Now().Add(2 * time.Minute)
	for !(a.held()+b.held()+c.held() == pgstore.ChangeLogShards && a.held() >= 4 && b.held() >= 4 && c.held() >= 4) {
		require.False(t, time.Now().After(deadline), "no three-way split: %d/%d/%d", a.held(), b.held(), c.held())
		time.Sleep(10 * time.Millisecond)
	}
	close(split)
	require.NoError(t, <-done)

	head := logHead(t, dsn, schema)
	ms := []*member{a, b, c}
	indexed := func() (sum int64, per []int64) {
		for _, m := range ms {
			per = append(per, m.metric(t, "changes_indexed"))
			sum += per[len(per)-1]
		}
		return sum, per
	}
	deadline = time.Now().Add(2 * time.Minute)
	for sum, _ := indexed(); sum < head; sum, _ = indexed() {
		require.False(t, time.Now().After(deadline), "indexed %d of %d entries", sum, head)
		time.Sleep(20 * time.Millisecond)
	}
	for _, m := range ms {
		require.NoError(t, m.ix.Flush(context.Background()))
	}
	require.True(t, allIndexed(t, a.st, ids, 2))
	sum, per := indexed()
	t.Logf("change-log entries %d; indexed by A, B, C: %v; shards held %d/%d/%d", head, per, a.held(), b.held(), c.held())
	assert.Equal(t, head, sum, "each entry indexed exactly once across the rebalances")
}

// TestFleetFeedPayloadBound: no payload exceeds store.MaxNotifyPayload,
// whatever the ids and repository names hold. JSON escapes some characters
// to six bytes (control characters, '<', '>', '&', U+2028), so a name's
// length in bytes is not its length in a payload; one payload over the
// limit fails the NOTIFY of every payload sent with it.
func TestFleetFeedPayloadBound(t *testing.T) {
	f := newFeed(nil, "me", nil)
	repos := []string{"r", strings.Repeat("é", 1900), strings.Repeat("<", 1400), strings.Repeat("\x01", store.MaxNotifyPayload/2), strings.Repeat("\u2028", 1300)}
	for _, repo := range repos {
		for _, ch := range []string{"é", "\u2028", "<", "日本", "\x00"} {
			c := store.Change{Repo: repo, Traces: []string{strings.Repeat(ch, 500)}, At: time.Unix(0, 1)}
			for i := range 300 {
				c.Nodes = append(c.Nodes, commit.NodeRef{Repo: repo, Kind: commit.EntitySpan, ID: strings.Repeat(ch, i%97) + fmt.Sprint(i)})
			}
			for _, p := range f.encode(nil, &c) {
				assert.LessOrEqual(t, len(p), store.MaxNotifyPayload, "repository of %d bytes, ids of %q", len(repo), ch)
			}
		}
	}
}

// droppingListens is a ShardedChangeLog whose LISTEN connections are lost
// as soon as they are made (a proxy or server that drops them at once).
type droppingListens struct {
	store.ShardedChangeLog
	mu    sync.Mutex
	calls []time.Time
}

func (d *droppingListens) ListenChanges(context.Context) (store.ChangeListener, error) {
	d.mu.Lock()
	d.calls = append(d.calls, time.Now())
	d.mu.Unlock()
	return droppedListener{}, nil
}

func (d *droppingListens) made() []time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.calls)
}

type droppedListener struct{}

func (droppedListener) Next(context.Context) (string, error) {
	return "", fmt.Errorf("connection reset")
}
func (droppedListener) Close() error { return nil }

// TestListenBacksOffAfterLostConnection: a listener lost right after it
// connected is reopened with backoff, not in a busy loop of connections
// (each of which also sends every subscriber a resync marker).
func TestListenBacksOffAfterLostConnection(t *testing.T) {
	sc := &droppingListens{}
	ix := &Indexer{logger: zaptest.NewLogger(t), feed: newFeed(sc, "me", zaptest.NewLogger(t)), subs: map[*subscriber]struct{}{}, now: time.Now}
	ctx, cancel := context.WithCancel(context.Background())
	ix.wg.Add(1)
	go ix.listenLoop(ctx)
	defer func() {
		cancel()
		ix.wg.Wait()
	}()
	eventually(t, "three connections", func() bool { return len(sc.made()) >= 3 })
	calls := sc.made()
	// A lower bound only: a slow machine makes the gaps longer, never
	// shorter. Backoff starts at 100 ms and doubles.
	assert.GreaterOrEqual(t, calls[2].Sub(calls[0]), 300*time.Millisecond,
		"connections at %v, %v, %v", calls[0], calls[1], calls[2])
}

// TestFleetStrayLeaseIsGivenBack: a lease the database gives a member that
// does not know it holds it (an acquire whose answer was lost when the
// lease round's timeout cut it short, or a lease dropped at its local
// deadline while its renewal was on the way) is not renewed, but nobody
// else may take it until it expires. A member at its share gives it back
// at its next round instead of leaving the shard unindexed until then.
func TestFleetStrayLeaseIsGivenBack(t *testing.T) {
	dsn, schema := fleetSchema(t)
	cfg := fleetConfig(longTTL)
	a, b := startPair(t, dsn, schema, cfg)
	// One of B's shards becomes A's in the database only: A holds its
	// share and the stray, B one shard less than its share.
	stray := b.ix.fleet.shards(false)[0]
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `UPDATE "`+schema+`".index_shards SET owner = $1, until = now() + interval '1 hour' WHERE shard = $2`,
		a.ix.fleet.owner, stray)
	require.NoError(t, err)

	// B notices at its next renewal that the shard is not its own any
	// more; it can take it again only once A gave it back.
	eventually(t, "B holds the stray shard again", func() bool {
		var owner string
		require.NoError(t, conn.QueryRow(ctx, `SELECT owner FROM "`+schema+`".index_shards WHERE shard = $1`, stray).Scan(&owner))
		return owner == b.ix.fleet.owner && b.ix.fleet.holds(stray)
	})
	assert.Equal(t, pgstore.ChangeLogShards/2, a.held())
	repo := ""
	for _, r := range reposPerShard("stray") {
		if pgstore.ShardOf(r) == stray {
			repo = r
		}
	}
	cs := traceCommits(repo, "st", 1, 10)
	require.NoError(t, b.ix.Apply(ctx, cs, edgesOf(cs)))
	eventually(t, "the stray shard's write indexed", func() bool {
		return allIndexed(t, a.st, map[string][]string{repo: {"st"}}, 1)
	})
}

// notifyRecorder is a ShardedChangeLog that records the context its
// NotifyChanges was called with.
type notifyRecorder struct {
	store.ShardedChangeLog
	calls  int
	ctxErr error
}

func (n *notifyRecorder) NotifyChanges(ctx context.Context, _ []string) error {
	n.calls++
	n.ctxErr = ctx.Err()
	return ctx.Err()
}

// TestFeedNotifyRunsWithinThePass: the live feed to other members is sent
// within the pass's context, so a Shutdown whose budget ran out (or a
// cancelled pass) does not wait out the notify timeout on an unreachable
// database.
func TestFeedNotifyRunsWithinThePass(t *testing.T) {
	rec := &notifyRecorder{}
	f := newFeed(rec, "me", zaptest.NewLogger(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ref := commit.NodeRef{Repo: "r", Kind: commit.EntityTrace, ID: "t"}
	f.notify(ctx, []store.Change{{Repo: "r", Nodes: []commit.NodeRef{ref}, Traces: []string{"t"}, At: time.Unix(1, 0)}})
	require.Equal(t, 1, rec.calls)
	require.ErrorIs(t, rec.ctxErr, context.Canceled, "NotifyChanges ran outside the pass's context")
}
