package pricing

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func ptr(v float64) *float64 { return &v }

func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-12*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func TestOverrides(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d.Add(12 * time.Hour) }
	overrides := []Override{
		{Model: "my-finetune", InputMTok: ptr(1), OutputMTok: ptr(2)},
		{Model: "my-finetune", EffectiveFrom: "2025-07-01", InputMTok: ptr(10), OutputMTok: ptr(20)},
		{Model: "my-finetune", EffectiveFrom: "2025-09-01T00:00:00Z", InputMTok: ptr(100), OutputMTok: ptr(200)},
		{ModelPrefix: "Acme-", InputMTok: ptr(3), OutputMTok: ptr(6), CacheReadMTok: ptr(0.3), CacheWriteMTok: ptr(3.75), ReasoningMTok: ptr(12)},
		{Model: "gpt-4o", Provider: "azure", InputMTok: ptr(2), OutputMTok: ptr(8)},
		{ModelRegex: `^claude-.*-bedrock-custom$`, Provider: "aws", InputMTok: ptr(4), OutputMTok: ptr(5)},
	}
	tab, err := MustDefault().With(overrides)
	if err != nil {
		t.Fatal(err)
	}
	u := Usage{InputTokens: 1_000_000, CacheReadTokens: 400_000, CacheWriteTokens: 100_000, OutputTokens: 1_000_000, ReasoningTokens: 250_000}
	tests := []struct {
		name, model, provider string
		at                    time.Time
		usage                 Usage
		wantIn, wantOut       float64
		wantSource, wantModel string
	}{
		{"undated override before dated ones", "my-finetune", "", day("2025-06-30"), Usage{InputTokens: 1e6, OutputTokens: 1e6}, 1, 2, "config", "my-finetune"},
		{"latest effective_from not after the call wins", "MY-FINETUNE", "openai", day("2025-08-15"), Usage{InputTokens: 1e6, OutputTokens: 1e6}, 10, 20, "config", "MY-FINETUNE"},
		{"RFC 3339 effective_from", "my-finetune", "", day("2025-09-01"), Usage{InputTokens: 1e6, OutputTokens: 1e6}, 100, 200, "config", "my-finetune"},
		// input: 500k uncached*3 + 400k*0.3 + 100k*3.75; output: 750k*6 + 250k*12
		{"cache and reasoning prices", "acme-large", "", day("2025-01-01"), u, 1.5 + 0.12 + 0.375, 4.5 + 3, "config", "acme-large"},
		// without cache/reasoning prices they are billed as input/output
		{"cache and reasoning at input/output price", "my-finetune", "", day("2025-01-01"), u, 1, 2, "config", "my-finetune"},
		{"provider-limited override applies", "gpt-4o", "Azure", day("2025-01-01"), Usage{InputTokens: 1e6, OutputTokens: 1e6}, 2, 8, "config", "gpt-4o"},
		{"provider-limited override via provider_match", "claude-x-bedrock-custom", "bedrock", day("2025-01-01"), Usage{InputTokens: 1e6, OutputTokens: 1e6}, 4, 5, "config", "claude-x-bedrock-custom"},
		{"provider-limited override skips other providers", "gpt-4o", "openai", day("2025-01-01"), Usage{InputTokens: 1e6, OutputTokens: 1e6}, 2.5, 10, MustDefault().Source(), "gpt-4o"},
		{"provider-limited override skips empty provider", "gpt-4o", "", day("2025-01-01"), Usage{InputTokens: 1e6, OutputTokens: 1e6}, 2.5, 10, MustDefault().Source(), "gpt-4o"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tab.Calc(tt.usage, tt.model, tt.provider, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			if !near(r.InputCost, tt.wantIn) || !near(r.OutputCost, tt.wantOut) || !near(r.TotalCost, tt.wantIn+tt.wantOut) {
				t.Errorf("cost in %v out %v total %v, want %v %v", r.InputCost, r.OutputCost, r.TotalCost, tt.wantIn, tt.wantOut)
			}
			if r.Source != tt.wantSource || r.Model != tt.wantModel {
				t.Errorf("source %q model %q, want %q %q", r.Source, r.Model, tt.wantSource, tt.wantModel)
			}
		})
	}

	t.Run("price used is reported", func(t *testing.T) {
		r, err := tab.Calc(u, "acme-large", "", day("2025-01-01"))
		if err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]float64{"input_mtok": 3, "cache_read_mtok": 0.3, "cache_write_mtok": 3.75, "output_mtok": 6, "output_reasoning_mtok": 12} {
			if got, ok := r.PerMillion(key); !ok || got != want {
				t.Errorf("%s: %v %v, want %v", key, got, ok, want)
			}
		}
	})
	t.Run("override dated after the call falls back to the data", func(t *testing.T) {
		tab, err := MustDefault().With([]Override{{Model: "gpt-4o", EffectiveFrom: "2030-01-01", InputMTok: ptr(99), OutputMTok: ptr(99)}})
		if err != nil {
			t.Fatal(err)
		}
		r, err := tab.Calc(Usage{InputTokens: 1e6}, "gpt-4o", "openai", day("2025-01-01"))
		if err != nil || r.Source == "config" || r.InputCost != 2.5 {
			t.Errorf("got %+v, %v; want the data's 2.5", r, err)
		}
		r, err = tab.Calc(Usage{InputTokens: 1e6}, "gpt-4o", "openai", day("2030-01-02"))
		if err != nil || r.Source != "config" || r.InputCost != 99 {
			t.Errorf("got %+v, %v; want the override's 99", r, err)
		}
	})
	t.Run("reasoning beyond output is invalid usage", func(t *testing.T) {
		_, err := tab.Calc(Usage{OutputTokens: 10, ReasoningTokens: 11}, "acme-x", "", day("2025-01-01"))
		if !errors.Is(err, ErrInvalidUsage) {
			t.Errorf("err %v, want ErrInvalidUsage", err)
		}
	})
	t.Run("With replaces and does not mutate", func(t *testing.T) {
		if _, err := MustDefault().Calc(Usage{InputTokens: 1}, "my-finetune", "", time.Time{}); !errors.Is(err, ErrUnknownModel) {
			t.Errorf("default table sees overrides: %v", err)
		}
		t2, err := tab.With(nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := t2.Calc(Usage{InputTokens: 1}, "my-finetune", "", time.Time{}); !errors.Is(err, ErrUnknownModel) {
			t.Errorf("With(nil) kept overrides: %v", err)
		}
	})
}

func TestOverrideValidate(t *testing.T) {
	tests := []struct {
		name    string
		o       Override
		wantErr string // substring; empty: valid
	}{
		{"valid exact", Override{Model: "m", InputMTok: ptr(1), OutputMTok: ptr(2)}, ""},
		{"valid all fields", Override{ModelPrefix: "p", ModelRegex: "x$", Provider: "openai", InputMTok: ptr(0), OutputMTok: ptr(0), CacheReadMTok: ptr(0), CacheWriteMTok: ptr(1), ReasoningMTok: ptr(1), EffectiveFrom: "2025-01-02"}, ""},
		{"no model match", Override{Provider: "openai", InputMTok: ptr(1), OutputMTok: ptr(2)}, "one of model, model_prefix or model_regex is required"},
		{"blank model", Override{Model: "  ", InputMTok: ptr(1), OutputMTok: ptr(2)}, "one of model"},
		{"bad regex", Override{ModelRegex: "gpt-(4", InputMTok: ptr(1), OutputMTok: ptr(2)}, "model_regex: error parsing regexp"},
		{"missing input", Override{Model: "m", OutputMTok: ptr(2)}, "input_mtok is required"},
		{"missing output", Override{Model: "m", InputMTok: ptr(2)}, "output_mtok is required"},
		{"negative input", Override{Model: "m", InputMTok: ptr(-1), OutputMTok: ptr(2)}, "input_mtok must be a finite non-negative"},
		{"negative cache read", Override{Model: "m", InputMTok: ptr(1), OutputMTok: ptr(2), CacheReadMTok: ptr(-0.1)}, "cache_read_mtok must be"},
		{"NaN reasoning", Override{Model: "m", InputMTok: ptr(1), OutputMTok: ptr(2), ReasoningMTok: ptr(math.NaN())}, "reasoning_mtok must be"},
		{"infinite output", Override{Model: "m", InputMTok: ptr(1), OutputMTok: ptr(math.Inf(1))}, "output_mtok must be"},
		{"bad effective_from", Override{Model: "m", InputMTok: ptr(1), OutputMTok: ptr(2), EffectiveFrom: "01/02/2025"}, `effective_from "01/02/2025"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.o.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
	t.Run("With names the bad override", func(t *testing.T) {
		_, err := MustDefault().With([]Override{{Model: "ok", InputMTok: ptr(1), OutputMTok: ptr(1)}, {Model: "bad", InputMTok: ptr(-1), OutputMTok: ptr(1)}})
		if err == nil || !strings.Contains(err.Error(), `overrides[1]: price override model="bad"`) {
			t.Fatalf("error %v", err)
		}
	})
}

// A Table is shared by every pipeline goroutine.
func TestConcurrentCalc(t *testing.T) {
	tab, err := MustDefault().With([]Override{{ModelRegex: "^mine-", InputMTok: ptr(1), OutputMTok: ptr(1)}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for g := 0; g < 8; g++ {
		go func() {
			var err error
			for i := 0; i < 200 && err == nil; i++ {
				for _, m := range []string{"mistral-large-latest", "gpt-4o", "mine-1", "claude-3-5-sonnet-20240620", "nope"} {
					if _, e := tab.Calc(Usage{InputTokens: 10, OutputTokens: 5}, m, "", time.Time{}); e != nil && !errors.Is(e, ErrUnknownModel) {
						err = e
					}
				}
			}
			done <- err
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
