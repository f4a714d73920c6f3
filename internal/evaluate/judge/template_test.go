package judge

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTemplates(t *testing.T) {
	v := Vars{Input: "What is the capital of France?", Output: "Paris.", Context: "Paris is the capital of France.", Expected: "Paris"}
	for _, name := range []string{TemplateRelevance, TemplateFaithfulness, TemplateSafety} {
		tm, err := NewTemplate(name, "")
		require.NoError(t, err)
		sys, user := tm.Render(v)
		assert.Contains(t, sys, `"score"`, name)
		assert.Contains(t, user, "Paris.", name)
		assert.NotContains(t, user, "{{", name)
	}
	faith, _ := NewTemplate(TemplateFaithfulness, "")
	assert.Equal(t, VarContext, faith.Missing(Vars{Input: "q", Output: "a"}))
	assert.Equal(t, "", faith.Missing(v))
	rel, _ := NewTemplate(TemplateRelevance, "")
	assert.Equal(t, VarInput, rel.Missing(Vars{Output: "a"}))

	custom, err := NewTemplate(TemplateCustom, "Q: {{input}}\nA: {{ output }}\nWant: {{expected}}\nDocs: {{context}}")
	require.NoError(t, err)
	_, user := custom.Render(Vars{Input: "q {{output}}", Output: "a", Expected: "e", Context: "c"})
	assert.Equal(t, "Q: q {{output}}\nA: a\nWant: e\nDocs: c", user, "values are not re-expanded")
	assert.Equal(t, VarExpected, custom.Missing(Vars{Input: "q", Output: "a", Context: "c"}))

	_, err = NewTemplate(TemplateCustom, "Rate {{tone}}")
	assert.ErrorContains(t, err, "unknown variable {{tone}}")
	_, err = NewTemplate(TemplateCustom, "Rate it")
	assert.ErrorContains(t, err, "uses no variable")
	_, err = NewTemplate("helpfulness", "")
	assert.True(t, strings.HasPrefix(err.Error(), "template: unknown"))
}
