package script_test

import (
	"fmt"

	"github.com/switchio/switchio/script"
)

// LoadSource reads a script's apps: their parameters, verdicts and
// handlers; New sets an instance's parameters from a spec's text.
func ExampleLoadSource() {
	src := `
def park(app, s, ev):
    if s.inbound and not s.answered:
        s.answer()

app(
    name = "Greeter",
    description = "answers, then plays a greeting",
    params = {"file": param("hello.wav", "what to play"), "times": param(1)},
    verdicts = [verdict("greeted", "bool", "the greeting played", check = True)],
    on = {"CHANNEL_PARK": park},
)
`
	ts, err := script.LoadSource("greeter.star", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	t := ts[0]
	fmt.Println(t.Name, "-", t.Description)
	for _, p := range t.Params {
		line := fmt.Sprintf("  %s (%s, default %s)", p.Name, p.Type(), p.Default)
		if p.Help != "" {
			line += ": " + p.Help
		}
		fmt.Println(line)
	}
	for _, v := range t.Verdicts {
		fmt.Println("  verdict", v.Name)
	}
	_, err = t.New("times=two")
	fmt.Println(err)
	// Output:
	// Greeter - answers, then plays a greeting
	//   file (string, default "hello.wav"): what to play
	//   times (int, default 1)
	//   verdict script_error
	//   verdict greeted
	// Greeter: parameter times: "two" is not an int
}
