package store

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTraceSummaryBound(t *testing.T) {
	long := strings.Repeat("x", MaxSummaryFieldBytes+1)
	r := TraceSummary{Name: strings.Repeat("ü", MaxSummaryFieldBytes), Tags: map[string]string{}, Models: []string{long}}
	for i := 0; i < 3*MaxSummaryTags; i++ {
		r.Tags[fmt.Sprintf("t%04d", i)] = "v"
		r.Models = append(r.Models, fmt.Sprintf("m%04d", i))
	}
	r.Tags["a-long-value"] = long // sorts first, but is left out
	r.Tags[long] = "a long key"
	r.Bound()
	if len(r.Tags) != MaxSummaryTags || r.Tags["t0000"] != "v" || r.Tags[fmt.Sprintf("t%04d", MaxSummaryTags-1)] != "v" {
		t.Errorf("tags: %d %v", len(r.Tags), r.Tags)
	}
	if _, ok := r.Tags["a-long-value"]; ok {
		t.Error("a tag with an over-long value is kept")
	}
	if len(r.Models) != MaxSummaryModels || r.Models[0] != "m0000" {
		t.Errorf("models: %v", r.Models)
	}
	if len(r.Name) != MaxSummaryFieldBytes || !utf8.ValidString(r.Name) {
		t.Errorf("name: %d bytes, valid %v", len(r.Name), utf8.ValidString(r.Name))
	}

	small := TraceSummary{Name: "n", Tags: map[string]string{"a": "b"}, Models: []string{"m"}}
	small.Bound()
	if small.Name != "n" || len(small.Tags) != 1 || len(small.Models) != 1 {
		t.Errorf("a row within the bounds changed: %+v", small)
	}
}
