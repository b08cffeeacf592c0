package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sendguard/sendguard/store"
)

// Decisions that race (two releases at once from the page and the CLI, a
// release against a cancel, a release as the expiry runs, from two
// processes): exactly one wins, and only its audit event and notices are
// written.
func TestRacingDecisionsHaveOneWinner(t *testing.T) {
	backends(t, func(t *testing.T, open func(string) *store.Store, clk *clock) {
		ctx := context.Background()
		a, b := open("page"), open("cli")
		waiting := []store.State{store.StateConfirm, store.StateApproval, store.StateDelayed}
		type op func(s *store.Store, ref string) (string, error)
		decide := func(d store.Decision) op {
			return func(s *store.Store, ref string) (string, error) {
				_, err := s.Decide(ctx, ref, d, waiting, store.Actor{Name: s.Owner()}, "", time.Hour, func(h *store.Held) []store.Notice {
					return []store.Notice{{Kind: "sender-" + d.String(), Ref: h.Ref, Recipients: []string{h.Sender}, Message: []byte("x")}}
				})
				return d.String(), err
			}
		}
		expire := func(s *store.Store, ref string) (string, error) {
			list, err := s.Expire(ctx, 100, func(h *store.Held) []store.Notice {
				return []store.Notice{{Kind: "sender-expired", Ref: h.Ref, Recipients: []string{h.Sender}, Message: []byte("x")}}
			})
			if err == nil && !slices.ContainsFunc(list, func(h store.Held) bool { return h.Ref == ref }) {
				err = store.ErrState
			}
			return "expired", err
		}
		claim := func(s *store.Store, ref string) (string, error) {
			list, err := s.Claim(ctx, time.Minute, 100)
			if err == nil && !slices.ContainsFunc(list, func(h store.Held) bool { return h.Ref == ref }) {
				err = store.ErrState
			}
			return "released", err // by "delay"
		}
		cases := []struct {
			name    string
			x, y    op
			expiry  bool // the message is past its expiry when they race
			delayed bool // a delayed message whose delay is over
		}{
			{"release+release", decide(store.Release), decide(store.Release), false, false},
			{"release+cancel", decide(store.Release), decide(store.Cancel), false, false},
			{"release+expiry", decide(store.Release), expire, true, false},
			{"cancel+expiry", decide(store.Cancel), expire, true, false},
			{"cancel+delay over", decide(store.Cancel), claim, false, true},
		}
		for i, c := range cases {
			for round := range 8 {
				ref := fmt.Sprintf("r%d-%d", i, round)
				h := held(ref, store.StateConfirm, clk)
				if c.delayed {
					h.State, h.ReleaseAt = store.StateDelayed, clk.now().Add(-time.Second)
				}
				if c.expiry {
					h.ExpireAt = clk.now().Add(-time.Second)
				}
				if err := a.Hold(ctx, h, bytes.NewReader([]byte("m")), nil); err != nil {
					t.Fatal(err)
				}
				var wg sync.WaitGroup
				var mu sync.Mutex
				var won []string
				for k, f := range []op{c.x, c.y} {
					s := []*store.Store{a, b}[k]
					wg.Add(1)
					go func() {
						defer wg.Done()
						ev, err := f(s, ref)
						switch {
						case err == nil:
							mu.Lock()
							won = append(won, ev)
							mu.Unlock()
						case !errors.Is(err, store.ErrState):
							t.Errorf("%s %s: %v", c.name, ref, err)
						}
					}()
				}
				wg.Wait()
				if len(won) != 1 {
					t.Fatalf("%s %s: winners %v", c.name, ref, won)
				}
				trail, err := a.Trail(ctx, ref)
				if err != nil || len(trail) != 2 || trail[1].Event != won[0] {
					t.Fatalf("%s %s: won %v, trail %+v %v", c.name, ref, won, trail, err)
				}
			}
		}
		pending, err := a.PendingNotices(ctx)
		// Every decision but a delay's writes a notice.
		if err != nil || len(pending) < (len(cases)-1)*8 || len(pending) > len(cases)*8 {
			t.Fatalf("%d notices for %d decisions: %v", len(pending), len(cases)*8, err)
		}
	})
}
