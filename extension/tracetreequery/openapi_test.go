package tracetreequery

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// TestOpenAPIMatchesRoutes keeps the checked-in OpenAPI document and the
// router in step: every documented operation is routed and every route is
// documented.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                            `yaml:"openapi"`
		Paths   map[string]map[string]interface{} `yaml:"paths"`
	}
	require.NoError(t, yaml.Unmarshal(openAPIDoc, &doc))
	require.True(t, strings.HasPrefix(doc.OpenAPI, "3."), "an OpenAPI 3 document")

	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options":
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	var routed []string
	for _, rt := range newAPI(newFeedStore(), apiOptions{}).routes() {
		routed = append(routed, rt.method+" "+openAPIPath(rt.pattern))
	}
	sort.Strings(documented)
	sort.Strings(routed)
	assert.Equal(t, routed, documented)

	// Each documented path answers something other than the mux's 404
	// (path parameters filled with sample values).
	srv := newServer(t, seed(t), nil, apiOptions{})
	for _, op := range documented {
		method, path, _ := strings.Cut(op, " ")
		if path == "/api/v1/live" {
			continue // endless stream; covered by TestLiveFeed
		}
		id := "t1"
		if strings.HasPrefix(path, "/api/v1/sessions/") {
			id = "s1"
		}
		path = strings.NewReplacer("{id}", id, "{kind}", "trace", "{key}", "repo1/generation/g1/files/original/a1").Replace(path)
		req, err := http.NewRequest(method, srv.URL+path+"?repo=repo1", nil)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, op)
	}
}
