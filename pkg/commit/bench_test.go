package commit_test

import (
	"strings"
	"testing"

	"github.com/otelcol-genai/otelcol-genai/internal/tree/treegen"
	"github.com/otelcol-genai/otelcol-genai/pkg/commit"
)

// benchBody is ~1 MB of realistic SDK lines (JS and Python dialects) made by
// treegen, joined as one push body.
func benchBody(b *testing.B) ([]byte, int) {
	var sb strings.Builder
	n := 0
	for seed := uint64(1); sb.Len() < 1<<20; seed++ {
		c := treegen.Generate(seed, treegen.DefaultOptions)
		for i := range c.Commits {
			sb.Write(commit.FormatLine(&c.Commits[i]))
			sb.WriteByte('\n')
			n++
		}
	}
	return []byte(sb.String()), n
}

func BenchmarkParseBody(b *testing.B) {
	body, n := benchBody(b)
	v := commit.NewVersioner()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cs, errs := commit.ParseBody("repo", body, v)
		if len(errs) != 0 || len(cs) != n {
			b.Fatalf("%d commits, %d errors", len(cs), len(errs))
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}

func BenchmarkLogsCodec(b *testing.B) {
	body, n := benchBody(b)
	cs, _ := commit.ParseBody("repo", body, commit.NewVersioner())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		back, err := commit.CommitsFromLogs(commit.LogsFromCommits(cs))
		if err != nil || len(back) != n {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}
