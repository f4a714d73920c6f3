package pricing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-genai/otelcol-genai/internal/ci"
)

// The differential test: a deterministic corpus of calls priced by this
// package and by @pydantic/genai-prices itself (refresh/calc.mjs), which must
// agree on the matched provider and model, on unknown models and invalid
// usage, and on every cost to 1e-9 relative.

// needTool returns the path of an external tool the test needs. Outside CI a
// missing tool skips the test (a developer without node can still run the Go
// tests); in CI (CI set) it fails, so the comparison cannot silently vanish.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		ci.Unavailable(t, "%s not found: the comparison with @pydantic/genai-prices needs it: %v", name, err)
	}
	return p
}

type refCase struct {
	Model     string             `json:"model"`
	Provider  string             `json:"provider,omitempty"`
	Timestamp string             `json:"timestamp"`
	Usage     map[string]float64 `json:"usage"`

	usage Usage
	at    time.Time
	why   string
}

type refResult struct {
	OK       bool    `json:"ok"`
	Error    string  `json:"error"`
	Provider string  `json:"provider"`
	Model    string  `json:"model"`
	Input    float64 `json:"input"`
	Output   float64 `json:"output"`
	Total    float64 `json:"total"`
}

func newRefCase(why, model, provider string, u Usage, at time.Time) refCase {
	return refCase{
		Model: model, Provider: provider, Timestamp: at.UTC().Format(time.RFC3339Nano),
		Usage: u.values(), usage: u, at: at, why: why,
	}
}

// exampleName derives a model name a match rule accepts, when one is easy to
// derive (regexes and conjunctions are covered by hand-written cases).
func exampleName(m *matchJSON) (string, bool) {
	switch {
	case m.Or != nil:
		for i := range m.Or {
			if s, ok := exampleName(&m.Or[i]); ok {
				return s, true
			}
		}
	case m.And != nil:
	case m.Equals != nil:
		return *m.Equals, true
	case m.StartsWith != nil:
		return *m.StartsWith + "-preview", true
	case m.EndsWith != nil:
		return "my-" + *m.EndsWith, true
	case m.Contains != nil:
		return "x-" + *m.Contains + "-y", true
	}
	return "", false
}

// randomUsage builds consistent inclusive usage: input split into uncached
// text, cache reads, cache writes, uncached audio and cached audio reads;
// output into text, reasoning and audio.
func randomUsage(r *rand.Rand, maxInput int64, audio bool) Usage {
	part := func(n int64) int64 {
		if n <= 0 || r.IntN(3) == 0 {
			return 0
		}
		return r.Int64N(n + 1)
	}
	in := r.Int64N(maxInput + 1)
	rest := in
	cacheRead := part(rest / 2)
	rest -= cacheRead
	cacheWrite := part(rest / 2)
	rest -= cacheWrite
	var audioIn, cacheAudio int64
	if audio {
		audioIn = part(rest / 2)
		rest -= audioIn
		cacheAudio = part(rest / 2)
	}
	out := r.Int64N(20000)
	reasoning := part(out / 2)
	var audioOut int64
	if audio {
		audioOut = part(out / 3)
	}
	return Usage{
		InputTokens:          in,
		CacheReadTokens:      cacheRead + cacheAudio,
		CacheWriteTokens:     cacheWrite,
		OutputTokens:         out,
		ReasoningTokens:      reasoning,
		InputAudioTokens:     audioIn + cacheAudio,
		CacheAudioReadTokens: cacheAudio,
		OutputAudioTokens:    audioOut,
	}
}

// providerAliases: the ids our receivers see for some genai-prices providers.
var providerAliases = map[string][]string{
	"aws":       {"bedrock", "aws.bedrock", "amazon_bedrock"},
	"google":    {"vertex_ai", "gcp.vertex_ai", "gcp.gemini", "google_genai"},
	"openai":    {"az.ai.openai"},
	"mistral":   {"mistral_ai"},
	"x-ai":      {"xai"},
	"together":  {"together_ai"},
	"anthropic": {"anthropic"},
}

func referenceCorpus(t *testing.T) []refCase {
	t.Helper()
	var f fileFormat
	if err := json.Unmarshal(embeddedPrices, &f); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(20250601, 1))
	base := time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)
	randomTime := func() time.Time {
		// 2024-01-01 .. 2027-12-31, at any millisecond of the day.
		start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		return start.Add(time.Duration(r.Int64N(4*365*24*3600*1000)) * time.Millisecond)
	}
	var cases []refCase
	add := func(c refCase) { cases = append(cases, c) }

	for _, p := range f.Providers {
		for _, m := range p.Models {
			name, ok := exampleName(&m.Match)
			if !ok {
				continue
			}
			if r.IntN(4) == 0 {
				name = strings.ToUpper(name[:1]) + name[1:]
			}
			audio := bytes.Contains(m.Prices, []byte("audio"))
			u := randomUsage(r, 300000, audio)
			add(newRefCase("model with its provider id", name, p.ID, u, randomTime()))
			if r.IntN(3) == 0 {
				add(newRefCase("model without provider", name, "", randomUsage(r, 50000, audio), randomTime()))
			}
			if aliases := providerAliases[p.ID]; len(aliases) > 0 && r.IntN(2) == 0 {
				add(newRefCase("model with provider alias", name, aliases[r.IntN(len(aliases))], randomUsage(r, 50000, audio), randomTime()))
			}

			// Dated and time-of-day prices: both sides of every boundary.
			var conds []conditionalJSON
			if json.Unmarshal(m.Prices, &conds) == nil {
				for _, c := range conds {
					if c.Constraint == nil {
						continue
					}
					if c.Constraint.StartDate != "" {
						d, _ := time.Parse(time.DateOnly, c.Constraint.StartDate)
						for _, at := range []time.Time{d.Add(-time.Millisecond), d, d.Add(36 * time.Hour)} {
							add(newRefCase("dated price boundary "+c.Constraint.StartDate, name, p.ID, randomUsage(r, 100000, audio), at))
						}
					}
					if c.Constraint.StartTime != "" {
						for _, hhmm := range []string{c.Constraint.StartTime, c.Constraint.EndTime} {
							tm, _ := time.Parse("15:04:05Z07:00", hhmm)
							day := time.Date(2025, 3, 4, tm.Hour(), tm.Minute(), tm.Second(), 0, time.UTC)
							for _, at := range []time.Time{day.Add(-time.Millisecond), day, day.Add(time.Minute)} {
								add(newRefCase("time-of-day boundary "+hhmm, name, p.ID, randomUsage(r, 100000, audio), at))
							}
							// and after the later start_date, if any
							add(newRefCase("time-of-day boundary in 2027 "+hhmm, name, p.ID, randomUsage(r, 100000, audio), day.AddDate(2, 0, 0)))
						}
					}
				}
			}

			// Tiered prices: input exactly at a tier start and one above.
			var tiered struct {
				Tiers []struct {
					Start int64 `json:"start"`
				} `json:"tiers"`
			}
			for _, raw := range tierValues(m.Prices) {
				if json.Unmarshal(raw, &tiered) != nil {
					continue
				}
				for _, tr := range tiered.Tiers {
					for _, in := range []int64{tr.Start, tr.Start + 1} {
						u := randomUsage(r, 0, false)
						u.InputTokens = in
						u.CacheReadTokens = in / 4
						add(newRefCase(fmt.Sprintf("tier start %d", tr.Start), name, p.ID, u, base))
					}
				}
				break
			}
		}
	}

	typical := Usage{InputTokens: 12000, CacheReadTokens: 8000, CacheWriteTokens: 1000, OutputTokens: 900, ReasoningTokens: 300}
	for _, c := range []struct{ model, provider, why string }{
		{"gpt-4o", "openai", "plain"},
		{"gpt-4o", "", "no provider"},
		{"openai/gpt-4o", "", "provider-prefixed, no provider"},
		{"openai/gpt-4o", "openai", "provider-prefixed with provider"},
		{"openai/gpt-4o", "openrouter", "openrouter names"},
		{"openai/gpt-4o", "litellm", "litellm prefix split"},
		{"anthropic/claude-3-5-sonnet-20240620", "litellm", "litellm prefix split, dated"},
		{"unknownprov/gpt-4o", "litellm", "litellm unknown prefix"},
		{"gpt-4o-2024-08-06", "", "dated openai id"},
		{"gpt-4o-mini", "azure", "azure falls back to openai"},
		{"gpt-4o", "az.ai.openai", "semconv azure openai id"},
		{"o3", "openai", "o3 dated price"},
		{"o1-mini", "", "o-series by regex"},
		{"claude-3-5-sonnet-20240620", "", "claude dated"},
		{"claude-3-5-sonnet-20241022", "anthropic", "claude dated 2"},
		{"claude-3-5-sonnet@20240620", "vertex_ai", "vertex claude id"},
		{"claude-sonnet-4@20250514", "gcp.vertex_ai", "vertex claude 4 id"},
		{"claude-opus-4-6", "anthropic", "claude dated price change"},
		{"anthropic.claude-3-5-sonnet-20240620-v1:0", "bedrock", "bedrock id"},
		{"anthropic.claude-3-5-sonnet-20240620-v1:0", "", "bedrock id, no provider"},
		{"us.anthropic.claude-3-7-sonnet-20250219-v1:0", "aws.bedrock", "bedrock inference profile"},
		{"amazon.nova-pro-v1:0", "bedrock", "nova"},
		{"meta.llama3-70b-instruct-v1:0", "bedrock", "bedrock llama"},
		{"gemini-1.5-pro", "vertex_ai", "gemini tiered"},
		{"gemini-1.5-pro-002", "google", "gemini versioned"},
		{"gemini-2.5-pro", "", "gemini 2.5 tiered"},
		{"gemini-2.5-flash", "gcp.gemini", "gemini flash"},
		{"models/gemini-2.0-flash", "google", "google models/ prefix"},
		{"publishers/google/models/gemini-2.0-flash-001", "vertex_ai", "vertex resource name"},
		{"mistral-large-latest", "", "mistral by regex"},
		{"mistral-large-latest", "mistral_ai", "mistral semconv id"},
		{"mistral/mistral-large", "", "mistral lookahead rejects prefix"},
		{"deepseek-chat", "deepseek", "deepseek time of day"},
		{"deepseek-reasoner", "", "deepseek reasoner"},
		{"grok-3", "xai", "xai"},
		{"grok-3", "x_ai", "unknown provider id falls back"},
		{"grok-4", "ibm.watsonx.ai", "unknown provider id falls back 2"},
		{"llama-3.3-70b-versatile", "groq", "groq"},
		{"llama-3.3-70b-versatile", "", "groq model without provider"},
		{"command-r-plus", "cohere", "cohere"},
		{"gpt-4o-audio-preview", "openai", "audio model"},
		{"gpt-4o-realtime-preview", "openai", "realtime audio model"},
		{"whisper-1", "", "whisper"},
		{"kimi-k2", "moonshot", "moonshot"},
		{"  GPT-4O  ", "  OpenAI ", "whitespace and case"},
		{"totally-unknown-model", "", "unknown model"},
		{"totally-unknown-model", "openai", "unknown model, known provider"},
		{"", "", "empty model"},
		{"gpt-4o", "huggingface", "ambiguous provider"},
	} {
		add(newRefCase(c.why, c.model, c.provider, typical, base))
		add(newRefCase(c.why+" (random usage)", c.model, c.provider, randomUsage(r, 250000, true), randomTime()))
	}
	audio := Usage{InputTokens: 5000, CacheReadTokens: 1500, InputAudioTokens: 3000, CacheAudioReadTokens: 1000, OutputTokens: 2000, OutputAudioTokens: 1500}
	for _, m := range []string{"gpt-4o-audio-preview", "gpt-4o-realtime-preview", "gpt-4o-mini-realtime-preview", "gpt-realtime", "gemini-2.0-flash"} {
		add(newRefCase("audio usage", m, "", audio, base))
	}
	// Invalid usage: the library throws, so must we.
	for _, u := range []Usage{
		{InputTokens: 100, CacheReadTokens: 200, OutputTokens: 5},                                   // cache reads exceed input
		{InputTokens: 100, CacheReadTokens: 60, CacheWriteTokens: 60, OutputTokens: 5},              // reads+writes exceed input
		{InputTokens: 5000, CacheReadTokens: 1500, InputAudioTokens: 3000, OutputTokens: 10},        // overlap without cached audio reads
		{InputTokens: -1, OutputTokens: 5},                                                          // negative
		{InputTokens: 10, OutputTokens: 5, OutputAudioTokens: 9},                                    // audio out fits
		{InputTokens: 10, OutputTokens: 5, OutputAudioTokens: 9, CacheAudioReadTokens: 1},           // cached audio without audio input
		{InputTokens: 1000, OutputTokens: 50, ReasoningTokens: 80},                                  // reasoning exceeds output
		{InputTokens: 1000, CacheReadTokens: 1000, CacheWriteTokens: 0, OutputTokens: 0},            // all cached
		{InputTokens: 0, OutputTokens: 0},                                                           // nothing
		{InputTokens: 9_000_000_000, CacheReadTokens: 1, OutputTokens: 7_000_000_000},               // huge
		{InputTokens: 300000, CacheReadTokens: 100000, CacheWriteTokens: 100000, OutputTokens: 100}, // above tiers
	} {
		for _, m := range []string{"gpt-4o", "gpt-4o-realtime-preview", "claude-3-5-sonnet-20240620", "gemini-2.5-pro", "deepseek-chat"} {
			if u.InputTokens < 0 && m != "gpt-4o" {
				continue // the library only rejects negatives it reads; we always reject them
			}
			add(newRefCase("edge usage", m, "", u, base))
		}
	}
	return cases
}

// tierValues returns the raw values of the first price object's fields that
// look tiered.
func tierValues(raw json.RawMessage) []json.RawMessage {
	var single map[string]json.RawMessage
	if json.Unmarshal(raw, &single) != nil {
		var conds []conditionalJSON
		if json.Unmarshal(raw, &conds) != nil || len(conds) == 0 {
			return nil
		}
		if json.Unmarshal(conds[len(conds)-1].Prices, &single) != nil {
			return nil
		}
	}
	var out []json.RawMessage
	for _, v := range single {
		if bytes.Contains(v, []byte("tiers")) {
			out = append(out, v)
		}
	}
	return out
}

func runReference(t *testing.T, cases []refCase) []refResult {
	t.Helper()
	node := needTool(t, "node")
	dir, err := filepath.Abs("refresh")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@pydantic", "genai-prices")); err != nil {
		npm := needTool(t, "npm")
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "calc.mjs")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node calc.mjs: %v\n%s", err, stderr.Bytes())
	}
	var res []refResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("decode calc.mjs output: %v", err)
	}
	if len(res) != len(cases) {
		t.Fatalf("calc.mjs returned %d results for %d cases", len(res), len(cases))
	}
	return res
}

func relErr(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b))
}

func TestReferenceGenaiPrices(t *testing.T) {
	tab := MustDefault()
	cases := referenceCorpus(t)
	if len(cases) < 200 {
		t.Fatalf("corpus has %d cases, want at least 200", len(cases))
	}
	want := runReference(t, cases)

	var priced, unknown, invalid int
	var maxRel float64
	for i, c := range cases {
		w := want[i]
		got, err := tab.Calc(c.usage, c.Model, c.Provider, c.at)
		desc := fmt.Sprintf("case %d (%s): model %q provider %q at %s usage %+v", i, c.why, c.Model, c.Provider, c.Timestamp, c.usage)
		switch {
		case w.OK:
			priced++
			if err != nil {
				t.Errorf("%s: library prices it (%s/%s total %v), we fail: %v", desc, w.Provider, w.Model, w.Total, err)
				continue
			}
			if got.Provider != w.Provider || got.Model != w.Model {
				t.Errorf("%s: matched %s/%s, library %s/%s", desc, got.Provider, got.Model, w.Provider, w.Model)
			}
			for _, x := range [][3]any{{"input", got.InputCost, w.Input}, {"output", got.OutputCost, w.Output}, {"total", got.TotalCost, w.Total}} {
				e := relErr(x[1].(float64), x[2].(float64))
				maxRel = math.Max(maxRel, e)
				if e > 1e-9 {
					t.Errorf("%s: %s cost %v, library %v (rel err %g)", desc, x[0], x[1], x[2], e)
				}
			}
		case w.Error == "":
			unknown++
			if !errors.Is(err, ErrUnknownModel) {
				t.Errorf("%s: library: unknown model; we: %+v, %v", desc, got, err)
			}
		default:
			invalid++
			if err == nil || errors.Is(err, ErrUnknownModel) {
				t.Errorf("%s: library throws %q; we: %+v, %v", desc, w.Error, got, err)
			}
		}
	}
	t.Logf("%d cases: %d priced, %d unknown, %d rejected by both; max relative cost error %g", len(cases), priced, unknown, invalid, maxRel)
	if priced < 200 || unknown < 5 || invalid < 5 {
		t.Errorf("corpus too one-sided: %d priced, %d unknown, %d invalid", priced, unknown, invalid)
	}
}

// The embedded data must be what the pinned package ships: make prices
// regenerates both together.
func TestEmbeddedDataMatchesPin(t *testing.T) {
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	b, err := os.ReadFile(filepath.Join("refresh", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		t.Fatal(err)
	}
	pin := pkg.Dependencies["@pydantic/genai-prices"]
	if want := "@pydantic/genai-prices " + pin; MustDefault().Source() != want {
		t.Fatalf("embedded data is %q, refresh/package.json pins %q: run make prices", MustDefault().Source(), want)
	}
}
