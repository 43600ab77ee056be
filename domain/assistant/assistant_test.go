package assistant_test

import (
	"strings"
	"testing"

	"github.com/inps/libretto/domain/assistant"
)

func TestAssistantAnswersRealQuestions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		question string
		want     string // id of the passage expected first
	}{
		{"Quanto vale un voucher del Libretto Famiglia?", "libretto-titolo"},
		{"Entro quando devo comunicare la prestazione della colf?", "libretto-comunicazione"},
		{"Posso revocare una prestazione già comunicata?", "libretto-revoca"},
		{"Mio padre è morto: come chiedo il rimborso dei soldi rimasti sul suo libretto?", "eredi-rimborso"},
		{"Come inserisco le prestazioni della badante di mia madre deceduta?", "eredi-prestazioni"},
		{"Sono erede testamentario, devo allegare il testamento?", "eredi-registrazione"},
		{"Qual è il limite annuo di compenso per un prestatore?", "libretto-limiti"},
		{"Posso pagare la babysitter con il libretto famiglia?", "libretto-attivita"},
		{"Il prestatore senza IBAN come viene pagato?", "libretto-pagamento"},
		{"Come si ricarica il libretto con F24?", "libretto-versamenti"},
		{"Quanto spetta di assegno unico per un figlio nel 2026?", "auu-importi-2026"},
		{"maggiorazioni AUU 2025 figlio disabile", "auu-maggiorazioni-2025"},
		{"Bonus asilo nido 2025 per un bambino nato nel 2024", "bonus-nido-2025"},
		{"Dove vedo la data di presentazione della DSU?", "portale-bonus-sociali"},
		{"Come accedo al Portale delle Famiglie?", "portale-accesso"},
		{"Come presento la DSU per l'ISEE?", "isee-dsu"},
		{"Come rinnovo l'ISEE?", "isee-dsu"},
		{"Cos'è il bonus nuovi nati?", "bonus-nuovi-nati"},
		{"bonus bebè", "bonus-nuovi-nati"},
		{"Il pensionato conta al 75%?", "libretto-computo-ridotto"},
		{"Posso pagare con il libretto una ex dipendente?", "libretto-divieto"},
		{"Cosa può fare l'erede con il libretto famiglia?", "eredi-sezione"},
		{"Come chiedo il rimborso del libretto di mio padre deceduto?", "eredi-rimborso"},
		{"Quali servizi ci sono nel portale delle famiglie per la maternità?", "portale-servizi"},
		{"Cosa mi suggerisce il portale?", "portale-suggerimenti"},
	}
	a := assistant.Default()
	for _, tt := range tests {
		t.Run(tt.question, func(t *testing.T) {
			t.Parallel()
			got := a.Ask(tt.question)
			if !got.Found || len(got.Passages) == 0 {
				t.Fatalf("no answer for %q", tt.question)
			}
			if got.Passages[0].ID != tt.want {
				var ids []string
				for _, p := range got.Passages {
					ids = append(ids, p.ID)
				}
				t.Fatalf("first passage %v, want %s", ids, tt.want)
			}
			if got.Answer != got.Passages[0].Text || len(got.Passages[0].Links) == 0 {
				t.Fatalf("the answer is the best passage with its links: %+v", got)
			}
		})
	}
}

func TestAssistantSaysWhenItDoesNotKnow(t *testing.T) {
	t.Parallel()
	for _, q := range []string{"", "   ", "la ricetta della carbonara", "che tempo fa domani a Milano?", "e il"} {
		got := assistant.Default().Ask(q)
		if got.Found || len(got.Passages) != 0 || got.Answer != assistant.NoAnswer {
			t.Errorf("%q: %+v, want no answer", q, got)
		}
	}
}

func TestKnowledgeBaseAmountsComeFromTheSimulatorTables(t *testing.T) {
	t.Parallel()
	text := map[string]string{}
	for _, p := range assistant.Default().Passages() {
		if p.Source == "" || p.Title == "" || p.Text == "" {
			t.Errorf("passage %s lacks source, title or text", p.ID)
		}
		if _, dup := text[p.ID]; dup {
			t.Errorf("duplicate passage id %s", p.ID)
		}
		text[p.ID] = p.Text
	}
	for id, want := range map[string]string{
		"auu-importi-2025": "201,00 euro al mese con ISEE fino a 17.227,33 euro",
		"auu-importi-2026": "fino a 58,30 euro con ISEE pari o superiore a 46.582,71 euro",
		"bonus-nido-2025":  "dieci da 327,27 euro e l'ultima da 327,30 euro",
	} {
		if !strings.Contains(text[id], want) {
			t.Errorf("%s = %q, want it to contain %q", id, text[id], want)
		}
	}
}

func TestTermsFoldAccentsStemAndDropStopWords(t *testing.T) {
	t.Parallel()
	got := strings.Join(assistant.Terms("Quali sono le domande dei figli? Bebè, l'ISEE"), " ")
	if got != "domand figl beb ise" {
		t.Fatalf("terms %q", got)
	}
}
