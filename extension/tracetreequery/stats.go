package tracetreequery

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
)

// GET /api/v1/stats: time-bucketed aggregates from the store's index rows
// (hourly rollups for unfiltered queries with whole-hour steps, a scan of
// the matching trace rows otherwise). See openapi.yaml.

// Defaults when the range or step is left out.
const (
	defaultStatsRange = 24 * time.Hour
	defaultStatsStep  = time.Hour
)

// statsResponse is the answer; step is written as a Go duration.
type statsResponse struct {
	From   time.Time          `json:"from"`
	To     time.Time          `json:"to"`
	Step   string             `json:"step"`
	By     string             `json:"by"`
	Groups []store.StatsGroup `json:"groups"`
}

func statsBadRequest(err error) error {
	return badRequest("%s", strings.TrimPrefix(err.Error(), store.ErrBadStatsQuery.Error()+": "))
}

func (a *api) stats(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("by") == "repo" {
		a.statsByRepo(w, r)
		return
	}
	st, err := a.runStats(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if st.Groups == nil {
		st.Groups = []store.StatsGroup{}
	}
	writeJSON(w, http.StatusOK, statsResponse{From: st.From, To: st.To, Step: formatStep(st.Step), By: st.By, Groups: st.Groups})
}

// formatStep writes a step as its shortest Go duration: 1h, 1h30m, 15m.
func formatStep(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// statsByRepo answers by=repo: the ungrouped answer of each repository,
// one group each. Every repository is resolved and authorized exactly as
// a one-repository request is (each runs through statsQuery), so by=repo
// can show nothing a key could not read one repository at a time.
func (a *api) statsByRepo(w http.ResponseWriter, r *http.Request) {
	repos := r.URL.Query()["repo"]
	if len(repos) == 0 {
		g, err := a.grant(r)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if g.All() {
			a.fail(w, r, badRequest("by=repo: name the repositories with repo=… (the API key reads all of them)"))
			return
		}
		repos = g.Repos()
	}
	var out statsResponse
	for i, repo := range repos {
		q := r.URL.Query()
		q.Del("by")
		q["repo"] = []string{repo}
		one := r.Clone(r.Context())
		one.URL.RawQuery = q.Encode()
		st, err := a.runStats(one)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if i == 0 {
			out = statsResponse{From: st.From, To: st.To, Step: formatStep(st.Step), By: "repo", Groups: []store.StatsGroup{}}
		}
		for _, g := range st.Groups {
			g.Key = repo
			out.Groups = append(out.Groups, g)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// runStats parses r and asks the store, mapping a query the store refuses
// to a 400.
func (a *api) runStats(r *http.Request) (store.Stats, error) {
	sq, err := a.statsQuery(r)
	if err != nil {
		return store.Stats{}, err
	}
	st, err := a.st.QueryStats(r.Context(), sq)
	if errors.Is(err, store.ErrBadStatsQuery) {
		err = statsBadRequest(err)
	}
	return st, err
}
