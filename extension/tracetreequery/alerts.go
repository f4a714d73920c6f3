package tracetreequery

import (
	"net/http"
	"slices"

	"github.com/otelcol-genai/otelcol-genai/internal/alerting"
)

// GET /api/v1/alerts serves the alert state the genai_alerts extension
// keeps in the store (internal/alerting): it reads the store, not the
// alerts extension, so any collector sharing the store answers, and the
// query extension needs no reference to the alerts extension.

// alertsResponse is the answer: the rules, the current alert of each
// (rule, repository) and the transitions newest first, all limited to the
// repositories the caller may read (and to `repo` when given).
type alertsResponse struct {
	Rules   []alerting.Rule  `json:"rules"`
	Alerts  []alerting.Alert `json:"alerts"`
	History []alerting.Event `json:"history"`
	// Firing counts the firing alerts of the answer.
	Firing    int    `json:"firing"`
	UpdatedAt string `json:"updatedAt,omitempty"`
}

func (a *api) alerts(w http.ResponseWriter, r *http.Request) {
	g, err := a.grant(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	want := q.Get("repo")
	if want != "" && !g.Allows(want) {
		a.fail(w, r, &httpError{code: http.StatusForbidden, msg: "the API key may not read repository " + want})
		return
	}
	limit, err := parseLimit(q.Get("limit"), a.opts.maxPage)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if limit == 0 {
		limit = 100
	}
	doc, err := alerting.Load(r.Context(), a.st)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	visible := func(repo string) bool {
		return (want == "" || repo == want) && g.Allows(repo)
	}
	resp := alertsResponse{Rules: nonNil(doc.Rules), Alerts: []alerting.Alert{}, History: []alerting.Event{}}
	if !doc.UpdatedAt.IsZero() {
		resp.UpdatedAt = doc.UpdatedAt.Format("2006-01-02T15:04:05.000Z07:00")
	}
	for _, al := range doc.Alerts {
		if visible(al.Repo) {
			resp.Alerts = append(resp.Alerts, al)
			if al.State == alerting.StateFiring {
				resp.Firing++
			}
		}
	}
	// Firing first, then by rule and repository.
	slices.SortStableFunc(resp.Alerts, func(x, y alerting.Alert) int {
		if (x.State == alerting.StateFiring) != (y.State == alerting.StateFiring) {
			if x.State == alerting.StateFiring {
				return -1
			}
			return 1
		}
		if x.Rule != y.Rule {
			if x.Rule < y.Rule {
				return -1
			}
			return 1
		}
		if x.Repo < y.Repo {
			return -1
		}
		if x.Repo > y.Repo {
			return 1
		}
		return 0
	})
	for i := len(doc.History) - 1; i >= 0 && len(resp.History) < limit; i-- {
		if visible(doc.History[i].Repo) {
			resp.History = append(resp.History, doc.History[i])
		}
	}
	writeJSON(w, http.StatusOK, resp)
}
