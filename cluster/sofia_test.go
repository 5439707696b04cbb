package cluster

import (
	"slices"
	"testing"
)

// The profile and alias rows of "sofia status" as FreeSWITCH 1.10.12
// writes them (mod_sofia.c cmd_status): gateways, headers and totals are
// not profiles, and a profile with TLS, listed twice, is named once.
func TestParseSofiaProfiles(t *testing.T) {
	const rule = "=================================================================================================\n"
	tests := []struct {
		name string
		out  string
		want []string
	}{
		{"real server", // 127.0.0.1:8021, verbatim
			"                     Name\t   Type\t                                      Data\tState\n" + rule +
				"                 external\tprofile\t              sip:mod_sofia@127.0.0.1:5080\tRUNNING (0)\n" +
				"                 internal\tprofile\t              sip:mod_sofia@127.0.0.1:5060\tRUNNING (0)\n" +
				rule + "2 profiles 0 aliases\n",
			[]string{"external", "internal"}},
		{"alias, gateway and TLS",
			"                     Name\t   Type\t                                      Data\tState\n" + rule +
				"                 carrier\t  alias\t                                  external\tALIASED\n" +
				"                 external\tprofile\t              sip:mod_sofia@10.0.0.1:5080\tRUNNING (2)\n" +
				"        external::telco\tgateway\t                          sip:telco@10.0.0.9\tNOREG\n" +
				"                 internal\tprofile\t              sip:mod_sofia@10.0.0.1:5060\tRUNNING (0)\n" +
				"                 internal\tprofile\t             sips:mod_sofia@10.0.0.1:5061\tRUNNING (0) (TLS)\n" +
				rule + "2 profiles 1 alias\n",
			[]string{"carrier", "external", "internal"}},
		{"none", rule + rule + "0 profiles 0 aliases\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseSofiaProfiles(tt.out); !slices.Equal(got, tt.want) {
				t.Errorf("profiles %q, want %q", got, tt.want)
			}
		})
	}
}
