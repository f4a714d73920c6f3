// Package publicapi translates Maxim's public logging API into SDK commits.
//
// Maxim's public logging API (docs/protocol.md §4) speaks a different vocabulary
// from the SDK commit log: `start` instead of `create`, `toolCall` instead of
// `tool_call`, one action per tag/metric/input/output, renamed id fields.
// TranslateAction maps one public action, and TranslateSnapshot one entry of
// the batch API, onto SDK commits, so everything downstream knows one
// vocabulary. Output data objects are marshalled from maps (sorted keys), so
// a resent request yields the same commit ids.
package publicapi

import (
	"encoding/json"

	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// Fields is a JSON object with its values kept raw.
type Fields map[string]json.RawMessage

// Action is the body of POST /v1/logging.
type Action struct {
	RepoID   string `json:"repoId"`
	Entity   string `json:"entity"`
	Action   string `json:"action"`
	EntityID string `json:"entityId"`
	Data     Fields `json:"data"`
}

// Wire is one translated commit before versioning.
type Wire struct {
	Entity commit.Entity
	ID     string
	Action commit.Action
	Data   Fields
}

// Commit returns w as a sealed commit of repo at version.
func (w Wire) Commit(repo string, version int64) commit.Commit {
	data := w.Data
	if data == nil {
		data = Fields{}
	}
	c := commit.Commit{Repo: repo, Entity: w.Entity, EntityID: w.ID, Action: w.Action, Data: raw(data), Version: version}
	c.Seal()
	return c
}

// Str returns the string value of key k ("" when absent or not a string).
func (f Fields) Str(k string) string {
	var s string
	if raw, ok := f[k]; ok {
		_ = json.Unmarshal(raw, &s)
	}
	return s
}

// rename returns a copy of f without the keys in drop and with the keys of
// ren renamed.
func (f Fields) rename(ren map[string]string, drop ...string) Fields {
	out := make(Fields, len(f))
	for k, v := range f {
		out[k] = v
	}
	for _, k := range drop {
		delete(out, k)
	}
	for from, to := range ren {
		if v, ok := out[from]; ok {
			delete(out, from)
			out[to] = v
		}
	}
	return out
}

func raw(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

var publicEntities = map[string]commit.Entity{
	"trace": commit.EntityTrace, "session": commit.EntitySession, "span": commit.EntitySpan,
	"generation": commit.EntityGeneration, "retrieval": commit.EntityRetrieval,
	"toolCall": commit.EntityToolCall, "tool_call": commit.EntityToolCall,
}
