package api

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// Compiling is the one costly thing a request can make the registry do: a
// posted schema (Confluent lookup, register and compatibility, POST
// /v1/check) or a stored version (a FileDescriptorSet, a diff) is compiled
// on the spot. One CompileGate bounds how many compilations run at once across
// every such route, so that the memory they take is bounded by the number
// of slots times the cost of one (itself bounded by the request body limit
// and compat.Limits.MaxNesting). compat's compile returns only when its
// work has stopped, even past its time limit, so a slot is held exactly as
// long as the work it counts.

// CompileGate bounds concurrent compilations. The zero value is not usable:
// call NewCompileGate.
type CompileGate struct {
	slots chan struct{}
	wait  time.Duration
}

// DefaultCompileWait is how long a request waits for a compilation slot
// before it is refused: about what one compilation of a posted schema may
// take (the Confluent routes' limit).
const DefaultCompileWait = 10 * time.Second

// NewCompileGate returns a gate letting n compilations run at once (n <= 0:
// GOMAXPROCS), a request waiting at most wait for a slot (0:
// DefaultCompileWait; negative: not at all).
func NewCompileGate(n int, wait time.Duration) *CompileGate {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	if wait == 0 {
		wait = DefaultCompileWait
	}
	return &CompileGate{slots: make(chan struct{}, n), wait: max(wait, 0)}
}

// errCompileBusy is Enter's error when every slot stayed taken: each API
// answers it as 429 with Retry-After, in its own error format.
var errCompileBusy = errors.New("every compilation slot is taken: retry later")

// retryAfter is the Retry-After of a refusal, in seconds.
const retryAfter = 1

// Enter takes a slot, waiting for one at most the gate's wait (or until ctx
// ends), and returns the function that gives it back.
func (g *CompileGate) Enter(ctx context.Context) (release func(), err error) {
	select {
	case g.slots <- struct{}{}:
		return g.leave, nil
	default:
	}
	if g.wait <= 0 {
		return nil, errCompileBusy
	}
	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	select {
	case g.slots <- struct{}{}:
		return g.leave, nil
	case <-timer.C:
		return nil, errCompileBusy
	case <-ctx.Done():
		return nil, errCompileBusy
	}
}

func (g *CompileGate) leave() { <-g.slots }

// busyHeaders are the headers of a refusal.
func busyHeaders() http.Header {
	return http.Header{"Retry-After": {strconv.Itoa(retryAfter)}}
}

// busyProblem is the native API's refusal: a problem+json 429.
func busyProblem() error {
	return huma.ErrorWithHeaders(huma.NewError(http.StatusTooManyRequests,
		"too many schema compilations in progress (limit: --max-compiles): retry after "+strconv.Itoa(retryAfter)+"s"), busyHeaders())
}

// busyConfluent is the Confluent API's refusal, with Confluent's rate-limit
// code.
func busyConfluent() *ConfluentError {
	e := confluentErrorf(codeTooManyRequests, "Too many schema compilations in progress (limit: --max-compiles): retry after %ds", retryAfter)
	e.headers = busyHeaders()
	return e
}
