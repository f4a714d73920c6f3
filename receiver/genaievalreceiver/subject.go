package genaievalreceiver

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/otelcol-genai/otelcol-genai/internal/evaluate"
	"github.com/otelcol-genai/otelcol-genai/internal/genaimsg"
	"github.com/otelcol-genai/otelcol-genai/internal/tree"
)

// subjectOf flattens a folded tree node into what evaluators read.
// traceContext holds the retrieval outputs of the node's trace.
func subjectOf(repo, traceID string, n *tree.TreeNode, traceContext []string) evaluate.Subject {
	s := evaluate.Subject{
		Repo:         repo,
		TraceID:      traceID,
		EntityID:     n.ID,
		Kind:         string(n.Kind),
		Name:         n.Name,
		Model:        n.Model,
		Provider:     n.Provider,
		Input:        text(n.Input),
		Output:       text(n.Output),
		Context:      traceContext,
		Tags:         n.Tags,
		InputTokens:  n.Totals.InputTokens,
		OutputTokens: n.Totals.OutputTokens,
		TotalTokens:  n.Totals.TotalTokens,
	}
	if s.Model == "" && n.Completion != nil {
		s.Model = n.Completion.Model
	}
	if n.DurationMs != nil {
		s.LatencyMs, s.HasLatency = *n.DurationMs, true
	}
	if n.Totals.UnpricedGenerations == 0 && (n.Totals.Cost > 0 || n.Totals.TotalTokens > 0) {
		s.CostUSD, s.HasCost = n.Totals.Cost, true
	}
	for _, raw := range n.Messages {
		s.Messages = append(s.Messages, messageOf(raw)...)
	}
	if n.Completion != nil && (n.Completion.Text != "" || len(n.Completion.ToolCalls) > 0) {
		content := n.Completion.Text
		for _, tc := range n.Completion.ToolCalls {
			content = joinLine(content, string(tc))
		}
		s.Messages = append(s.Messages, evaluate.Message{Role: "assistant", Content: content})
		if s.Output == "" {
			s.Output = content
		}
	}
	if s.Input == "" && len(n.Messages) > 0 {
		// A generation's input is its prompt: the messages before the
		// completion, rendered one per line.
		var b strings.Builder
		for _, m := range s.Messages {
			if m.Role == "assistant" && n.Completion != nil && m.Content == s.Output {
				continue
			}
			b.WriteString(m.Role + ": " + m.Content + "\n")
		}
		s.Input = strings.TrimSuffix(b.String(), "\n")
	}
	if s.Input == "" && len(n.Args) > 0 {
		s.Input = text(n.Args) // a tool call's input is its arguments
	}
	switch {
	case len(n.Errors) > 0:
		s.Error = n.Errors[0].Message
		if s.Error == "" {
			s.Error = n.Errors[0].Type
		}
	case n.Kind == "error":
		s.Error = n.Message
	}
	for _, ev := range n.Evaluations {
		if ev.With == tree.EvaluationWithResult {
			continue
		}
		for k, v := range ev.Variables {
			if s.Variables == nil {
				s.Variables = map[string]string{}
			}
			s.Variables[k] = text(v)
		}
	}
	if v, ok := s.Variables["expected_output"]; ok {
		s.Expected = v
	} else if v, ok := s.Variables["expected"]; ok {
		s.Expected = v
	}
	return s
}

// messageOf reads one OpenAI-shaped message as role and text.
func messageOf(raw json.RawMessage) []evaluate.Message {
	system, msgs := genaimsg.Input([]json.RawMessage{raw})
	if len(system) > 0 {
		return []evaluate.Message{{Role: "system", Content: partsText(system)}}
	}
	out := make([]evaluate.Message, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, evaluate.Message{Role: m.Role, Content: partsText(m.Parts)})
	}
	return out
}

func partsText(parts []genaimsg.Part) string {
	var out string
	for _, p := range parts {
		switch {
		case p.Type == "text":
			if s, ok := p.Content.(string); ok {
				out = joinLine(out, s)
			}
		case p.Type == "tool_call":
			args, _ := json.Marshal(p.Arguments)
			out = joinLine(out, p.Name+"("+string(args)+")")
		case p.Type == "tool_call_response":
			if s, ok := p.Response.(string); ok {
				out = joinLine(out, s)
			}
		}
	}
	return out
}

func joinLine(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + "\n" + b
}

// text renders a JSON value as text: strings as they are, other JSON
// compacted.
func text(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) == nil {
		return b.String()
	}
	return string(raw)
}

// retrievalContext lists the outputs of a trace's retrievals, in tree order.
func retrievalContext(root *tree.TreeNode) []string {
	var out []string
	tree.Walk(root, func(n *tree.TreeNode) {
		if n.Kind == "retrieval" {
			if t := text(n.Output); t != "" {
				out = append(out, t)
			}
		}
	})
	return out
}
