package serverhostile_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/metrics"
	"github.com/classifyd/classifyd/internal/server"
)

// stubResolver answers from a table and records the names it was asked.
type stubResolver struct {
	mu    sync.Mutex
	table map[string][]netip.Addr
	asked []string
}

func (r *stubResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, host)
	if a, ok := r.table[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// TestWebhookAddressForms: every form of a non-public address is refused,
// whether it is written in the URL ([::127.0.0.1], IPv4-compatible IPv6, and
// the IPv4-translated form) or is what a name resolves to (only one of
// several addresses being private is enough); names a rule refuses are not
// resolved at all. The refusals are counted. Runs in a network namespace of
// its own where one can be made, so nothing could leave the machine.
func TestWebhookAddressForms(t *testing.T) {
	if !inNetns() {
		runInNetns(t, "TestWebhookAddressForms")
	}
	var hits atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer receiver.Close()
	_, port, _ := net.SplitHostPort(receiver.Listener.Addr().String())
	res := &stubResolver{table: map[string][]netip.Addr{
		"compat.example": {netip.MustParseAddr("::127.0.0.1")},
		"mapped.example": {netip.MustParseAddr("::ffff:127.0.0.1")},
		"mixed.example":  {netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("127.0.0.1")},
		"meta.example":   {netip.MustParseAddr("169.254.169.254")},
	}}
	targets := []string{
		"http://[::127.0.0.1]:" + port + "/hook",
		"http://[::ffff:0:127.0.0.1]:" + port + "/hook",
		"http://[::ffff:7f00:1]:" + port + "/hook",
		"http://compat.example:" + port + "/hook",
		"http://mapped.example:" + port + "/hook",
		"http://mixed.example:" + port + "/hook",
		"http://meta.example/latest/meta-data/",
		"http://localhost.:" + port + "/hook",
		"http://hooks.localhost:" + port + "/hook",
		"http://metadata.google.internal/computeMetadata/v1/",
		"http://printer.local:" + port + "/hook",
		"http://2130706433:" + port + "/hook",
		"http://0x7f000001:" + port + "/hook",
		"http://127.1:" + port + "/hook",
	}
	want := []string{"compat.example", "mapped.example", "meta.example", "mixed.example"}
	if !inNetns() {
		// Here the machine's own network is reachable: leave out the names
		// whose other address is not loopback (they run in the namespace).
		targets = slices.DeleteFunc(targets, func(u string) bool {
			return strings.Contains(u, "mixed.example") || strings.Contains(u, "meta.example")
		})
		want = []string{"compat.example", "mapped.example"}
	}
	refused := func() float64 {
		var m dto.Metric
		metrics.SecurityRefusals.WithLabelValues("webhook_target").Write(&m)
		return m.GetCounter().GetValue()
	}
	before := refused()

	f := newFixture(t, local.Options{}, func(o *server.Options) { o.WebhookResolver = res })
	file := f.upload(t, "invoice.txt", texts["invoice"])
	for start := 0; start < len(targets); start += local.MaxWebhooksPerJob {
		batch := targets[start:min(start+local.MaxWebhooksPerJob, len(targets))]
		var hooks []api.WebhookConfiguration
		for _, u := range batch {
			hooks = append(hooks, api.WebhookConfiguration{WebhookURL: api.Ptr(u)})
		}
		job := f.createJob(t, api.CreateJobRequest{FileIDs: []string{file.ID}, Rules: rules, WebhookConfigurations: hooks})
		f.waitJob(t, job.ID)
		for range batch {
			select {
			case d := <-f.deliveries:
				if !errors.Is(d.Err, server.ErrPrivateAddress) || d.Attempts != 1 {
					t.Errorf("%s: attempts %d, err %v; want refused as private after 1 attempt", d.URL, d.Attempts, d.Err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("a webhook delivery did not end within 30 s")
			}
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback receiver got %d requests", n)
	}
	res.mu.Lock()
	asked := append([]string(nil), res.asked...)
	res.mu.Unlock()
	sort.Strings(asked)
	if len(asked) != len(want) {
		t.Errorf("resolved %v, want only %v (refused names are never resolved)", asked, want)
	} else {
		for i := range want {
			if asked[i] != want[i] {
				t.Errorf("resolved %v, want only %v", asked, want)
				break
			}
		}
	}
	if got := refused() - before; got != float64(len(targets)) {
		t.Errorf("%v refused webhook targets counted, want %d", got, len(targets))
	}
}
