package jsonscan

import (
	"strings"
	"testing"
)

// BenchmarkValid checks a commit's data as the fold meets it: a generation
// with 3 KB of messages, escapes and nested objects.
func BenchmarkValid(b *testing.B) {
	doc := []byte(`{"id":"g-1","messages":[{"role":"system","content":"` + strings.Repeat(`be brief, \"exact\"\n `, 60) +
		`"},{"role":"user","content":"` + strings.Repeat("東京 über naïve ", 80) + `"}],"model":"gpt-4o","modelParameters":{"temperature":0.2,"max_tokens":512},"tags":{"a":"b"}}`)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if !Valid(doc) {
			b.Fatal("invalid")
		}
	}
}
