package server

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local"
)

func netipParse(s string) (netip.Addr, error) { return netip.ParseAddr(s) }

// tenant is the backend as the tenant of testKey sees it.
func (f *fixture) tenant() *local.Scoped {
	return f.b.Scoped(local.Tenant{ID: keyTenant(testKey)})
}

// waitTerminal polls a job of testKey's tenant until it is terminal.
func (f *fixture) waitTerminal(t *testing.T, id string) api.ClassifyJob {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		job, err := f.tenant().GetJob(context.Background(), id)
		if err != nil {
			t.Fatalf("GetJob(%s): %v", id, err)
		}
		if job.Status.Terminal() {
			return job
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s after 30 s", id, job.Status)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
