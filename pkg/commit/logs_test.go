package commit

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
)

func TestLogsCodecRoundTrip(t *testing.T) {
	body := "session{id=s,action=create,data={\"name\": \"x\", \"v\": NaN}}\n" +
		"trace{id=t,action=update,data={\"output\":\"\\u003cok\\u003e\"}}\n" +
		"span{id=p,action=add-error,data=null}\n"
	in, errs := ParseBody("repo-a", []byte(body), fixedVersioner(5))
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	more, _ := ParseBody("repo-b", []byte("weird{id=w,action=zap,data={}}"), fixedVersioner(99))
	in = append(in, more...)

	ld := LogsFromCommits(in)
	if ld.LogRecordCount() != len(in) {
		t.Fatalf("%d records for %d commits", ld.LogRecordCount(), len(in))
	}
	if ld.ResourceLogs().Len() != 2 {
		t.Fatalf("want one ResourceLogs per repo, got %d", ld.ResourceLogs().Len())
	}
	// Through the wire format too, as Kafka (otlp_proto) would carry it.
	var m plog.ProtoMarshaler
	buf, err := m.MarshalLogs(ld)
	if err != nil {
		t.Fatal(err)
	}
	var u plog.ProtoUnmarshaler
	ld2, err := u.UnmarshalLogs(buf)
	if err != nil {
		t.Fatal(err)
	}
	out, err := CommitsFromLogs(ld2)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip differs:\n in=%+v\nout=%+v", in, out)
	}
	rec := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(1)
	if rec.Body().Str() != `{"output":"\u003cok\u003e"}` {
		t.Fatalf("body not verbatim: %s", rec.Body().Str())
	}
	if v, _ := rec.Attributes().Get(AttrVersion); v.Int() != 6 {
		t.Fatalf("version attr = %v", v.AsRaw())
	}
	if v, _ := rec.Attributes().Get(AttrCommitID); v.Str() != in[1].ID.String() {
		t.Fatalf("commit id attr = %v", v.AsRaw())
	}
}

func TestCommitsFromHandMadeRecord(t *testing.T) {
	ld := plog.NewLogs()
	recs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	lr := recs.AppendEmpty()
	lr.Attributes().PutStr(AttrRepoID, "r")
	lr.Attributes().PutStr(AttrEntity, "trace")
	lr.Attributes().PutStr(AttrEntityID, "t1")
	lr.Attributes().PutStr(AttrAction, "update")
	lr.Attributes().PutInt(AttrVersion, 42)
	lr.Body().SetStr(`{"output":"hi"}`)

	bad := recs.AppendEmpty() // no entity
	bad.Attributes().PutStr(AttrRepoID, "r")
	bad.Attributes().PutStr(AttrEntityID, "t1")
	bad.Attributes().PutStr(AttrAction, "update")
	bad.Attributes().PutInt(AttrVersion, 1)

	badJSON := recs.AppendEmpty()
	lr.Attributes().CopyTo(badJSON.Attributes())
	badJSON.Body().SetStr(`{"output":`)

	noVersion := recs.AppendEmpty()
	lr.Attributes().CopyTo(noVersion.Attributes())
	noVersion.Attributes().Remove(AttrVersion)
	noVersion.Body().SetStr(`{}`)

	// Ids an SDK line could not carry: too long for the query API to read
	// back, or with control characters.
	longID := recs.AppendEmpty()
	lr.Attributes().CopyTo(longID.Attributes())
	longID.Attributes().PutStr(AttrEntityID, strings.Repeat("x", MaxIDLen+1))
	longID.Body().SetStr(`{}`)
	nulID := recs.AppendEmpty()
	lr.Attributes().CopyTo(nulID.Attributes())
	nulID.Attributes().PutStr(AttrEntityID, "t\x00")
	nulID.Body().SetStr(`{}`)

	out, err := CommitsFromLogs(ld)
	if len(out) != 1 {
		t.Fatalf("want 1 good commit, got %d", len(out))
	}
	want := ComputeID("r", EntityTrace, "t1", ActionUpdate, []byte(`{"output":"hi"}`))
	if out[0].ID != want || out[0].Version != 42 {
		t.Fatalf("hand-made record: %+v", out[0])
	}
	if err == nil || !errors.Is(err, ErrRecord) {
		t.Fatalf("want ErrRecord, got %v", err)
	}
	msg := err.Error()
	for _, s := range []string{"maxim.entity", "record 2", "not JSON", "maxim.commit.version", "record 5", "over the 512-byte limit", "record 6", "control characters"} {
		if !strings.Contains(msg, s) {
			t.Errorf("error %q does not mention %q", msg, s)
		}
	}
}

func TestCommitsFromLogsResourceRepoAndBodyKinds(t *testing.T) {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(AttrRepoID, "res-repo")
	recs := rl.ScopeLogs().AppendEmpty().LogRecords()
	mk := func() plog.LogRecord {
		lr := recs.AppendEmpty()
		lr.Attributes().PutStr(AttrEntity, "span")
		lr.Attributes().PutStr(AttrEntityID, "s")
		lr.Attributes().PutStr(AttrAction, "update")
		return lr
	}
	a := mk() // bytes body, version from the observed timestamp
	a.Body().SetEmptyBytes().FromRaw([]byte(`{"tags":{"a":"1"}}`))
	a.SetObservedTimestamp(77)
	b := mk() // map body, version given as a double (JSON round trip)
	b.Body().SetEmptyMap().PutStr("output", "x")
	b.Attributes().PutDouble(AttrVersion, 88)
	c := mk() // bad commit id
	c.Attributes().PutInt(AttrVersion, 1)
	c.Attributes().PutStr(AttrCommitID, "zz")
	c.Body().SetStr(`{}`)
	out, err := CommitsFromLogs(ld)
	if len(out) != 2 || err == nil || !strings.Contains(err.Error(), AttrCommitID) {
		t.Fatalf("got %d commits, err %v", len(out), err)
	}
	if out[0].Repo != "res-repo" || out[0].Version != 77 || string(out[0].Data) != `{"tags":{"a":"1"}}` {
		t.Errorf("bytes body record: %+v", out[0])
	}
	if out[1].Version != 88 || string(out[1].Data) != `{"output":"x"}` || out[1].ID != ComputeID("res-repo", "span", "s", "update", out[1].Data) {
		t.Errorf("map body record: %+v", out[1])
	}
}
