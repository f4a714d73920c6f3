package normalize

import (
	"reflect"
	"testing"
)

var genaiListCases = []string{
	`[{"role":"system","parts":[{"type":"text","content":"Be brief.\nReally."}]},{"role":"user","parts":[{"type":"text","content":"hi <there> & é"}]}]`,
	`[{"role":"assistant","parts":[{"type":"text","content":"calling"},{"type":"tool_call","id":"c1","name":"f","arguments":{"b":2,"a":[1.5,"x"]}}],"finish_reason":"tool_call"}]`,
	`[{"role":"assistant","parts":[{"type":"tool_call","id":"c1","name":"f","arguments":"{\"q\": 1}"}]},{"role":"tool","parts":[{"type":"tool_call_response","id":"c1","response":{"rows":[1,2],"ok":true}}]}]`,
	`[{"role":"tool","parts":[{"type":"tool_call_response","id":"c1","response":"error: timeout"},{"type":"tool_call_response","id":"c2","response":{"type":"json","value":{"a":1}}}]}]`,
	`[{"role":"tool","parts":[{"type":"tool_call_response","id":"c1"}]},{"role":"tool","parts":[{"type":"text","content":"t"},{"type":"tool_call_response","response":null}]}]`,
	`[{"role":"assistant","parts":[{"type":"tool_call","name":"","id":""},{"type":"tool_call","name":"g","arguments":null}]}]`,
	`[{"role":"Developer","name":"n","parts":[]},{"parts":[{"type":"text","content":""}]},{"role":"user"}]`,
	`[{"role":"user","parts":[{"type":"text","content":"a"},{"type":"text","content":"b"}],"finish_reason":"stop"}]`,
	` [ {"role" : "user", "parts" : [ {"type":"text", "content":"spaced"} ] } ] `,
	`[]`, `[ ]`, `[1]`, `["text"]`, `[null]`, `[{}]`, `{"messages":[]}`, `"[]"`, `[{"role":"user","role":"system"}]`,
	`[{"role":"user","parts":[{"type":"image","content":"x"}]}]`, `[{"role":"user","parts":[{"type":"text","text":"x"}]}]`,
	`[{"role":"user","parts":[{"type":"text","content":1}]}]`, `[{"role":1,"parts":[]}]`, `[{"role":"user","parts":"text"}]`,
	`[{"role":"assistant","parts":[{"type":"tool_call","id":"c","name":"f","arguments":{"n":1e400}}]}]`,
	`[{"role":"assistant","parts":[{"type":"tool_call","id":"c","name":"f","arguments":{"k":1,"k":2}}]}]`,
	`[{"role":"tool","parts":[{"type":"tool_call_response","id":"c","response":"\"quoted\""}]}]`,
	`[{"role":"user","parts":[{"type":"text","content":"x"}]},]`, `[{"role":'user'}]`,
}

// TestFastGenAIMessagesMatchesGeneralPath checks the scanner against the
// general path (parseJSON, then normMessages through the taker) on the
// shapes it reads and the ones it must leave alone.
func TestFastGenAIMessagesMatchesGeneralPath(t *testing.T) {
	fast := 0
	for _, s := range genaiListCases {
		if checkFastGenAI(t, s, "user") && checkFastGenAI(t, s, "assistant") {
			fast++
		}
	}
	if fast < 8 {
		t.Fatalf("only %d cases took the scanner", fast)
	}
}

func checkFastGenAI(t *testing.T, s, role string) bool {
	t.Helper()
	key := "gen_ai.input.messages"
	v := &view{attrs: map[string]any{key: s}}
	ft := taker{role: role}
	if !ft.takeGenAI(v, key) {
		return false
	}
	gv := &view{attrs: map[string]any{key: s}}
	gt := taker{role: role}
	if x, ok := gv.structured(key); ok {
		gt.take(x)
	}
	if len(gv.malformed) > 0 {
		t.Fatalf("%q: scanner read it, general path flags it malformed", s)
	}
	if ft.found != gt.found || !reflect.DeepEqual(ft.ms, gt.ms) || !reflect.DeepEqual(ft.finish, gt.finish) {
		t.Fatalf("%q (role %s):\nscanner %v %#v %v\ngeneral %v %#v %v", s, role, ft.found, ft.ms, ft.finish, gt.found, gt.ms, gt.finish)
	}
	return true
}

func FuzzFastGenAIMessages(f *testing.F) {
	for _, s := range genaiListCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkFastGenAI(t, s, "user")
	})
}
