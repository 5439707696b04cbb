package cluster

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrNoProfile is returned by SIPAddr when the server has no sofia
// profile of that name; the error lists the profiles it has.
var ErrNoProfile = errors.New("no such sofia profile")

// SofiaProfiles returns the names of the server's sofia profiles and
// profile aliases, sorted, read from "sofia status".
func (c *Client) SofiaProfiles(ctx context.Context) ([]string, error) {
	out, err := c.API(ctx, "sofia status")
	if err != nil {
		return nil, fmt.Errorf("sofia status on %s: %w", c.addr, err)
	}
	return parseSofiaProfiles(out), nil
}

// parseSofiaProfiles reads the profile and alias rows of "sofia status":
// "<name>\t<type>\t  <data>\t<state>", type "profile", "  alias" or
// "gateway" (mod_sofia.c cmd_status). A profile with TLS has two rows.
func parseSofiaProfiles(out string) []string {
	seen := map[string]bool{}
	var names []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[1] != "profile" && f[1] != "alias" || seen[f[0]] {
			continue
		}
		seen[f[0]] = true
		names = append(names, f[0])
	}
	sort.Strings(names)
	return names
}

// noProfile is SIPAddr's error for a status reply without an address:
// for a profile the server does not have ("Invalid Profile!", mod_sofia.c
// cmd_status), ErrNoProfile with the profiles it has.
func (c *Client) noProfile(ctx context.Context, profile, status string) error {
	if !strings.HasPrefix(strings.TrimSpace(status), "Invalid Profile") {
		return fmt.Errorf("sofia profile %s on %s: no BIND-URL or URL in its status", profile, c.addr)
	}
	names, err := c.SofiaProfiles(ctx)
	if err != nil {
		return fmt.Errorf("%w %q on %s (listing its profiles: %v)", ErrNoProfile, profile, c.addr, err)
	}
	if len(names) == 0 {
		return fmt.Errorf("%w %q on %s: it has none", ErrNoProfile, profile, c.addr)
	}
	return fmt.Errorf("%w %q on %s: its profiles are %s", ErrNoProfile, profile, c.addr, strings.Join(names, ", "))
}
