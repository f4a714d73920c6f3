package pricing

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A newer data file: constraints without "type" (as the library also
	// accepts), a tier, a per-request price, and no unit registry (the
	// embedded one is used).
	newer := write("newer.json", `{
  "source": {"package": "@pydantic/genai-prices", "version": "9.9.9", "data_timestamp": "2030-01-01T00:00:00Z"},
  "providers": [{
    "id": "acme", "name": "Acme", "api_pattern": "x", "provider_match": {"contains": "acme"},
    "model_match": {"starts_with": "acme-"},
    "models": [
      {"id": "acme-1", "match": {"equals": "acme-1"}, "prices": [
        {"prices": {"input_mtok": 1, "output_mtok": 2}},
        {"constraint": {"start_date": "2026-01-01"}, "prices": {"input_mtok": {"base": 3, "tiers": [{"start": 1000, "price": 5}]}, "output_mtok": 4, "requests_kcount": 2}}
      ]},
      {"id": "acme-2", "match": {"regex": "^acme-2(?!-mini)"}, "prices": {"input_mtok": 7, "output_mtok": 8, "cache_read_mtok": 0.7}},
      {"id": "acme-bad", "match": {"equals": "acme-bad"}, "prices": {"cache_read_mtok": 1, "output_mtok": 1}}
    ]
  }]
}`)
	tab, err := Load(newer)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tab.Source(), "@pydantic/genai-prices 9.9.9 (2030-01-01T00:00:00Z)"; got != want {
		t.Errorf("source %q, want %q", got, want)
	}
	at2025, at2026 := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name            string
		model, provider string
		at              time.Time
		u               Usage
		want            float64 // total; NaN: unknown model
		wantErr         error
	}{
		{"before dated price", "acme-1", "", at2025, Usage{InputTokens: 1e6, OutputTokens: 1e6}, 3, nil},
		// tier applies above 1000 input tokens; a request costs 2/1000
		{"dated price, at tier start", "acme-1", "acme", at2026, Usage{InputTokens: 1000, OutputTokens: 0}, 1000*3/1e6 + 0.002, nil},
		{"dated price, above tier", "acme-1", "ACME", at2026, Usage{InputTokens: 1001, OutputTokens: 0}, 1001*5/1e6 + 0.002, nil},
		{"JS regex lookahead", "acme-2-large", "", at2025, Usage{InputTokens: 1e6, CacheReadTokens: 5e5}, 3.5 + 0.35, nil},
		{"JS regex lookahead rejects", "acme-2-mini", "", at2025, Usage{InputTokens: 1}, math.NaN(), ErrUnknownModel},
		{"gpt-4o not in this file", "gpt-4o", "openai", at2025, Usage{InputTokens: 1}, math.NaN(), ErrUnknownModel},
		{"invalid usage", "acme-2-large", "", at2025, Usage{InputTokens: 1, CacheReadTokens: 2}, math.NaN(), ErrInvalidUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tab.Calc(tt.u, tt.model, tt.provider, tt.at)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !near(r.TotalCost, tt.want) || r.Provider != "acme" {
				t.Errorf("total %v provider %q, want %v acme", r.TotalCost, r.Provider, tt.want)
			}
		})
	}
	t.Run("model with invalid prices fails only its own calls", func(t *testing.T) {
		_, err := tab.Calc(Usage{InputTokens: 1}, "acme-bad", "", at2025)
		if err == nil || !strings.Contains(err.Error(), "missing ancestor price key input_mtok for cache_read_mtok") {
			t.Fatalf("err %v", err)
		}
	})

	bare := write("bare.json", `[{"id": "solo", "name": "Solo", "models": [{"id": "s", "match": {"equals": "s"}, "prices": {"input_mtok": 1}}]}]`)
	if tab, err := Load(bare); err != nil {
		t.Errorf("bare provider array: %v", err)
	} else if r, err := tab.Calc(Usage{InputTokens: 2e6}, "s", "solo", time.Time{}); err != nil || r.TotalCost != 2 || r.Source != "file "+bare {
		t.Errorf("bare provider array: %+v %v", r, err)
	}

	for name, body := range map[string]string{
		"not json":        `{`,
		"no providers":    `{"providers": []}`,
		"bad regex":       `[{"id": "p", "models": [{"id": "m", "match": {"regex": "("}, "prices": {"input_mtok": 1}}]}]`,
		"bad constraint":  `[{"id": "p", "models": [{"id": "m", "match": {"equals": "m"}, "prices": [{"constraint": {"start_date": "2025-13-01"}, "prices": {"input_mtok": 1}}]}]}]`,
		"bad time of day": `[{"id": "p", "models": [{"id": "m", "match": {"equals": "m"}, "prices": [{"constraint": {"start_time": "25:00:00Z", "end_time": "01:00:00Z"}, "prices": {"input_mtok": 1}}]}]}]`,
	} {
		if _, err := Load(write(strings.ReplaceAll(name, " ", "_")+".json", body)); err == nil {
			t.Errorf("%s: Load succeeded", name)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
}

func TestDefaultIsImmutableAndShared(t *testing.T) {
	a, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if b := MustDefault(); a != b {
		t.Fatal("Default parsed twice")
	}
	if len(a.Providers()) < 10 || !strings.HasPrefix(a.Source(), "@pydantic/genai-prices ") {
		t.Fatalf("providers %v source %q", a.Providers(), a.Source())
	}
}
