package pii

import (
	"strings"
	"testing"
)

// text4K is about 4 KB of chat text: corpus lines (both positives and hard
// negatives) in order, or plain prose with no PII at all.
func text4K(b *testing.B, withPII bool) string {
	var sb strings.Builder
	if withPII {
		for sb.Len() < 4096 {
			for _, c := range loadCorpus(b) {
				sb.WriteString(c.text)
				sb.WriteByte('\n')
				if sb.Len() >= 4096 {
					break
				}
			}
		}
	} else {
		const prose = "The assistant summarised the quarterly report: revenue rose in every region, " +
			"the new onboarding flow cut support tickets, and the team plans to ship the mobile " +
			"release after the next design review. Version 2.4 fixes the export bug reported last week.\n"
		for sb.Len() < 4096 {
			sb.WriteString(prose)
		}
	}
	return sb.String()[:4096]
}

func benchmarkFind(b *testing.B, withPII bool) {
	d, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	text := text4K(b, withPII)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = d.Find(text)
	}
}

func BenchmarkFind4KBCorpus(b *testing.B) { benchmarkFind(b, true) }
func BenchmarkFind4KBProse(b *testing.B)  { benchmarkFind(b, false) }
