package redis

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// requireEnv, when set (.ci/run sets it), turns a missing redis-server into
// a failure instead of a skip.
const requireEnv = "BEDROCKDOCTOR_REDIS"

// server is the redis-server the tests share: started on 127.0.0.1 at a
// random port on first use, stopped by TestMain.
var server struct {
	once sync.Once
	addr string
	cmd  *exec.Cmd
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if server.cmd != nil {
		_ = server.cmd.Process.Kill()
		_ = server.cmd.Wait()
	}
	os.Exit(code)
}

// redisAddr returns the address of a real redis-server, or skips (fails
// under BEDROCKDOCTOR_REDIS) when there is none.
func redisAddr(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(requireEnv) != "" {
			t.Fatalf("%s is set but redis-server is not installed (bash .ci/redis.sh installs it)", requireEnv)
		}
		t.Skip("redis-server not found: install Debian's redis-server (bash .ci/redis.sh) to run the adapter's tests against a real server")
	}
	server.once.Do(func() { server.addr, server.cmd, server.err = startRedis(bin) })
	if server.err != nil {
		t.Fatalf("start redis-server: %v", server.err)
	}
	return server.addr
}

// startRedis starts redis-server on loopback at a free port, without
// persistence, and waits until it answers.
func startRedis(bin string) (string, *exec.Cmd, error) {
	var last error
	for range 3 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		dir, err := os.MkdirTemp("", "bedrockdoctor-redis-")
		if err != nil {
			return "", nil, err
		}
		cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no",
			"--dir", dir, "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning")
		cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
		if err := cmd.Start(); err != nil {
			return "", nil, err
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		rdb := goredis.NewClient(&goredis.Options{Addr: addr})
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if last = rdb.Ping(context.Background()).Err(); last == nil {
				_ = rdb.Close()
				return addr, cmd, nil
			}
			time.Sleep(50 * time.Millisecond)
		}
		_ = rdb.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	return "", nil, fmt.Errorf("redis-server did not answer: %v", last)
}

// client returns a go-redis client for addr, closed with the test.
func client(t testing.TB, addr string) *goredis.Client {
	rdb := goredis.NewClient(&goredis.Options{Addr: addr, ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// proxy is a TCP relay in front of the server that can stall or drop every
// connection, as a slow or failed store does.
type proxy struct {
	l      net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	stall  bool
	down   bool
}

func newProxy(t testing.TB, target string) *proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{l: l, target: target}
	t.Cleanup(p.close)
	go p.serve()
	return p
}

func (p *proxy) addr() string { return p.l.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down, stall := p.down, p.stall
		p.conns = append(p.conns, c)
		p.mu.Unlock()
		if down {
			_ = c.Close()
			continue
		}
		if stall {
			continue // held open, never answered
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, up)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
		go func() { _, _ = io.Copy(c, p.slowReader(up)); _ = c.Close() }()
	}
}

// slowReader stalls the answers while the proxy stalls.
func (p *proxy) slowReader(r io.Reader) io.Reader {
	return readerFunc(func(b []byte) (int, error) {
		for {
			p.mu.Lock()
			stall := p.stall
			p.mu.Unlock()
			if !stall {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		return r.Read(b)
	})
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(b []byte) (int, error) { return f(b) }

// setStall makes the store stop answering (true) or answer again.
func (p *proxy) setStall(v bool) {
	p.mu.Lock()
	p.stall = v
	p.mu.Unlock()
}

// kill drops every connection and refuses new ones: the store is gone.
func (p *proxy) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

func (p *proxy) close() {
	_ = p.l.Close()
	p.kill()
}
