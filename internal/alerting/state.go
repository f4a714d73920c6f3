// Package alerting is the alert state the genai_alerts extension keeps in
// the store and the query API serves (GET /api/v1/alerts): the configured
// rules, the current state of each (rule, repository) pair, and the
// history of transitions with their notification deliveries.
//
// The state is one JSON document stored as a blob (store.Backend PutBlob /
// GetBlob) under the reserved repository "" and key BlobKey. Blobs are
// durable on every backend and covered by the conformance suite, so the
// state survives a restart with no new backend contract, and any collector
// sharing the store (PostgreSQL) can serve it. One genai_alerts extension
// writes the document of a store.
package alerting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/store"
)

// Where the document lives.
const (
	BlobRepo        = ""
	BlobKey         = "genai_alerts/state"
	BlobContentType = "application/json"
)

// Alert states.
const (
	StateOK     = "ok"
	StateFiring = "firing"
)

// Event kinds.
const (
	EventFired    = "fired"
	EventResolved = "resolved"
)

// Delivery outcomes.
const (
	DeliveryPending = "pending"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
)

// Document is the whole alert state.
type Document struct {
	// Rules are the rules as configured when the document was written.
	Rules []Rule `json:"rules"`
	// Alerts holds one entry per (rule, repository) evaluated at least
	// once, firing or ok.
	Alerts []Alert `json:"alerts"`
	// History holds the transitions, oldest first, at most the
	// extension's history_limit.
	History []Event `json:"history"`
	// Repos are the repositories seen on the change feed: after a
	// restart, rules keep evaluating them before new traffic arrives.
	Repos     []string  `json:"repos,omitempty"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Rule describes one configured rule.
type Rule struct {
	Name      string `json:"name"`
	Metric    string `json:"metric"`
	Evaluator string `json:"evaluator,omitempty"`
	// Op is above (>), at_least (>=), below (<) or at_most (<=).
	Op           string   `json:"op"`
	Threshold    float64  `json:"threshold"`
	Window       string   `json:"window"`
	Interval     string   `json:"interval"`
	MinSamples   int64    `json:"minSamples"`
	Repositories []string `json:"repositories,omitempty"`
	Webhooks     []string `json:"webhooks,omitempty"`
}

// Alert is the current state of one rule on one repository.
type Alert struct {
	Rule  string `json:"rule"`
	Repo  string `json:"repo"`
	State string `json:"state"`
	// Since is when the current state began.
	Since time.Time `json:"since"`
	// Value is the last evaluated value (absent without samples).
	Value         *float64  `json:"value,omitempty"`
	Samples       int64     `json:"samples"`
	LastEvaluated time.Time `json:"lastEvaluated"`
}

// Event is one transition of an alert.
type Event struct {
	// ID is unique per transition (rule, repo, kind, time); webhook
	// receivers can deduplicate on it.
	ID         string     `json:"id"`
	Rule       string     `json:"rule"`
	Repo       string     `json:"repo"`
	Kind       string     `json:"kind"`
	At         time.Time  `json:"at"`
	Value      *float64   `json:"value,omitempty"`
	Samples    int64      `json:"samples"`
	Threshold  float64    `json:"threshold"`
	Op         string     `json:"op"`
	Deliveries []Delivery `json:"deliveries,omitempty"`
}

// Delivery is one event's notification to one webhook.
type Delivery struct {
	Webhook  string    `json:"webhook"`
	Status   string    `json:"status"`
	Attempts int       `json:"attempts"`
	Error    string    `json:"error,omitempty"`
	At       time.Time `json:"at,omitzero"`
}

// Find returns the alert of (rule, repo), or nil.
func (d *Document) Find(rule, repo string) *Alert {
	for i := range d.Alerts {
		if d.Alerts[i].Rule == rule && d.Alerts[i].Repo == repo {
			return &d.Alerts[i]
		}
	}
	return nil
}

// Load reads the document; a store without one yields an empty document.
func Load(ctx context.Context, b store.Backend) (*Document, error) {
	blob, err := b.GetBlob(ctx, BlobRepo, BlobKey)
	if errors.Is(err, store.ErrNotFound) {
		return &Document{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("alerting: read state: %w", err)
	}
	var d Document
	if err := json.Unmarshal(blob.Data, &d); err != nil {
		return nil, fmt.Errorf("alerting: decode state: %w", err)
	}
	return &d, nil
}

// Save writes the document durably.
func Save(ctx context.Context, b store.Backend, d *Document) error {
	data, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("alerting: encode state: %w", err)
	}
	if err := b.PutBlob(ctx, BlobRepo, BlobKey, store.Blob{ContentType: BlobContentType, Data: data}); err != nil {
		return fmt.Errorf("alerting: write state: %w", err)
	}
	return nil
}
