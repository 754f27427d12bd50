package serverhostile_test

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/classifyd/classifyd/internal/api"
	"github.com/classifyd/classifyd/internal/local"
	"github.com/classifyd/classifyd/internal/server"
)

// netnsChildEnv marks the copy of this test binary that runs in a network
// namespace of its own, where only loopback exists: there a webhook aimed at
// 10.0.0.1 or 169.254.169.254 cannot leave the machine even if the server
// failed to refuse it.
const netnsChildEnv = "CLASSIFYD_SERVERHOSTILE_NETNS"

// loopbackUp brings up lo in a fresh network namespace.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// inNetns reports this process runs in the private network namespace.
func inNetns() bool { return os.Getenv(netnsChildEnv) == "1" }

// TestWebhooksRefusePrivateAddresses: a job whose webhooks point at
// loopback, link-local or private addresses still runs, but no webhook is
// sent (the delivery fails with server.ErrPrivateAddress after one
// attempt) and a loopback receiver sees nothing, unless AllowPrivateWebhooks.
//
// The loopback targets run here. The link-local and private ones run only in
// a copy of the test binary inside a network namespace of its own, so that
// nothing could reach those networks even if the server tried; where a
// namespace cannot be made they are skipped.
func TestWebhooksRefusePrivateAddresses(t *testing.T) {
	if !inNetns() {
		runInNetns(t, "TestWebhooksRefusePrivateAddresses")
	}
	var hits atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
	}))
	defer receiver.Close()
	_, port, _ := net.SplitHostPort(receiver.Listener.Addr().String())

	targets := []string{
		"http://127.0.0.1:" + port + "/hook",
		"http://localhost:" + port + "/hook",
		"http://127.0.0.2:" + port + "/hook",
		"http://0.0.0.0:" + port + "/hook", // connecting to 0.0.0.0 reaches this host
		"http://[::ffff:127.0.0.1]:" + port + "/hook",
		"http://[::1]:" + port + "/hook",
	}
	if inNetns() {
		targets = append(targets,
			"http://169.254.169.254/latest/meta-data/",
			"http://10.0.0.1:"+port+"/hook",
			"http://172.16.0.1/hook",
			"http://192.168.1.1/hook",
			"http://100.64.0.1/hook",
			"http://[fd00::1]/hook",
			"http://[fe80::1]/hook",
		)
	}

	t.Run("refused", func(t *testing.T) {
		f := newFixture(t, local.Options{}, nil)
		file := f.upload(t, "invoice.txt", texts["invoice"])
		var hooks []api.WebhookConfiguration
		for _, u := range targets {
			hooks = append(hooks, api.WebhookConfiguration{WebhookURL: api.Ptr(u)})
		}
		for len(hooks) > 0 {
			n := min(len(hooks), local.MaxWebhooksPerJob)
			job := f.createJob(t, api.CreateJobRequest{FileIDs: []string{file.ID}, Rules: rules, WebhookConfigurations: hooks[:n]})
			if got := f.waitJob(t, job.ID); got.Status != api.StatusSuccess {
				t.Errorf("job %s, want SUCCESS despite its webhooks (%s)", got.Status, api.Deref(got.ErrorMessage))
			}
			for range n {
				select {
				case d := <-f.deliveries:
					if !errors.Is(d.Err, server.ErrPrivateAddress) || d.Attempts != 1 {
						t.Errorf("%s: attempts %d, err %v; want refused as private after 1 attempt", d.URL, d.Attempts, d.Err)
					}
				case <-time.After(30 * time.Second):
					t.Fatal("a webhook delivery did not end within 30 s")
				}
			}
			hooks = hooks[n:]
		}
		if n := hits.Load(); n != 0 {
			t.Errorf("the loopback receiver got %d requests", n)
		}
	})

	t.Run("allowed when private webhooks are", func(t *testing.T) {
		f := newFixture(t, local.Options{}, func(o *server.Options) { o.AllowPrivateWebhooks = true })
		file := f.upload(t, "invoice.txt", texts["invoice"])
		before := hits.Load()
		job := f.createJob(t, api.CreateJobRequest{FileIDs: []string{file.ID}, Rules: rules,
			WebhookConfigurations: []api.WebhookConfiguration{{WebhookURL: api.Ptr(targets[0])}}})
		f.waitJob(t, job.ID)
		select {
		case d := <-f.deliveries:
			if d.Err != nil {
				t.Errorf("delivery to %s: %v", d.URL, d.Err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("webhook delivery did not end within 30 s")
		}
		if n := hits.Load() - before; n != 1 {
			t.Errorf("receiver got %d requests, want 1", n)
		}
	})
}

// runInNetns runs test in a copy of this binary inside a new network
// namespace and fails t if it fails there; it skips t (after the loopback
// cases run here) when no namespace can be made.
func runInNetns(t *testing.T, test string) {
	args := []string{"-test.run=^" + test + "$", "-test.v", "-test.count=1"}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), netnsChildEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if os.Geteuid() != 0 {
		cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWUSER
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
	}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil && strings.Contains(string(out), "--- PASS: "+test):
		t.Logf("private-network targets passed in a network namespace of their own")
	case errors.As(err, &ee) && ee.ExitCode() == 3, err != nil && !errors.As(err, &ee):
		t.Logf("no network namespace (%v: %s); link-local and private targets not tried", err, out)
	default:
		t.Errorf("in a network namespace: %v\n%s", err, out)
	}
}
