package assistant

import (
	"fmt"
	"strings"

	"github.com/inps/libretto/domain"
	"github.com/inps/libretto/domain/simulators"
)

// Portal links (served by the portal).
var (
	linkAUU       = Link{Title: "Simulatore Assegno Unico", Href: "/simulatori/auu"}
	linkNido      = Link{Title: "Simulatore bonus asilo nido", Href: "/simulatori/bonus-nido"}
	linkFamily    = Link{Title: "Portale delle Famiglie", Href: "/famiglia"}
	linkBooklet   = Link{Title: "Il mio Libretto Famiglia", Href: "/libretto"}
	linkHeir      = Link{Title: "Erede – Libretto Famiglia", Href: "/erede"}
	linkHeirLog   = Link{Title: "Riepilogo delle operazioni da erede", Href: "/erede/riepilogo"}
	linkWorker    = Link{Title: "Prospetto dei compensi", Href: "/prestatore"}
	linkAssistant = Link{Title: "Assistente virtuale", Href: "/assistente"}
)

// KnowledgeBase returns the built-in passages: the Libretto Famiglia rules
// (SPEC §2, art. 54-bis D.L. 50/2017, circ. INPS 107/2017, msg. 1908/2019),
// the heir section (msg. INPS 2320/2026), the Portale delle Famiglie (the seed
// article and the messages it cites) and the family benefits, whose amounts
// are written from the simulators' parameter tables.
func KnowledgeBase() []Passage {
	ps := []Passage{
		{
			ID: "libretto-cosa-e", Title: "Che cos'è il Libretto Famiglia",
			Text: "Il Libretto Famiglia è il libretto nominativo prefinanziato con cui le persone fisiche pagano le prestazioni di lavoro occasionale " +
				"rese nell'ambito familiare: piccoli lavori domestici (pulizie, giardinaggio, manutenzione), assistenza domiciliare a bambini, " +
				"anziani, ammalati o persone con disabilità, e insegnamento privato supplementare (ripetizioni). Si usa dal Portale delle " +
				"Prestazioni Occasionali dell'INPS, dopo aver versato le somme con F24 o pagoPA.",
			Source: "art. 54-bis D.L. 50/2017; circ. INPS 107/2017", Links: []Link{linkBooklet},
		},
		{
			ID: "libretto-attivita", Title: "Per quali attività si può usare il Libretto Famiglia (baby-sitting, colf, ripetizioni)",
			Text: "Solo per tre attività: lavori domestici (inclusi giardinaggio, pulizia e manutenzione), assistenza domiciliare ai bambini " +
				"(baby-sitting), alle persone anziane, ammalate o con disabilità, e insegnamento privato supplementare. Per altre attività il " +
				"Libretto Famiglia non può essere usato.",
			Source: "art. 54-bis c. 10 D.L. 50/2017; SPEC §2", Links: []Link{linkBooklet},
		},
		{
			ID: "libretto-titolo", Title: "Quanto vale un titolo di pagamento (voucher) del Libretto Famiglia",
			Text: "Ogni titolo di pagamento vale 10 euro: 8 euro netti al prestatore, 1,65 euro di contribuzione IVS alla Gestione Separata, " +
				"0,25 euro di premio INAIL e 0,10 euro per gli oneri di gestione. Un titolo paga al massimo un'ora di lavoro: per una prestazione " +
				"servono almeno tanti titoli quante sono le ore (arrotondate per eccesso); si possono usare più titoli per ogni ora.",
			Source: "art. 54-bis D.L. 50/2017; SPEC §2", Links: []Link{linkBooklet},
		},
		{
			ID: "libretto-versamenti", Title: "Come si ricarica il Libretto Famiglia: versamenti F24 e pagoPA",
			Text: "Il libretto si alimenta con versamenti tramite modello F24 (causale LIFA) o tramite pagoPA, in multipli di 10 euro. " +
				"Il saldo disponibile è dato dai versamenti meno le somme impegnate per prestazioni comunicate, quelle riservate per un rimborso " +
				"e quelle già rimborsate.",
			Source: "circ. INPS 107/2017; SPEC §2", Links: []Link{linkBooklet},
		},
		{
			ID: "libretto-comunicazione", Title: "Entro quando si comunica una prestazione del Libretto Famiglia",
			Text: "L'utilizzatore comunica la prestazione (codice fiscale del prestatore, attività, date di inizio e fine, ore e titoli) entro il " +
				"giorno 3 del mese successivo a quello in cui la prestazione è terminata, e mai per date future. Il saldo disponibile deve " +
				"coprire i titoli utilizzati e il prestatore deve essere registrato nella piattaforma.",
			Source: "art. 54-bis D.L. 50/2017; SPEC §2", Links: []Link{linkBooklet},
		},
		{
			ID: "libretto-revoca", Title: "Si può revocare una prestazione comunicata?",
			Text: "Sì: l'utilizzatore può revocare una prestazione comunicata fino alla stessa scadenza (il giorno 3 del mese successivo alla " +
				"fine della prestazione) e solo se non è ancora stata pagata. La legge non disciplina la revoca: questa regola è stabilita " +
				"dalla procedura. I titoli tornano disponibili sul libretto.",
			Source: "SPEC §2", Links: []Link{linkBooklet},
		},
		{
			ID: "libretto-limiti", Title: "Limiti annui di compenso del Libretto Famiglia",
			Text: "Per ogni anno civile, sui compensi netti: ciascun prestatore può ricevere al massimo 5.000 euro da tutti gli utilizzatori; " +
				"ciascun utilizzatore può erogare al massimo 10.000 euro a tutti i prestatori; lo stesso prestatore può ricevere dallo stesso " +
				"utilizzatore al massimo 2.500 euro. Una prestazione che farebbe superare un limite è rifiutata per intero.",
			Source: "art. 54-bis c. 1 D.L. 50/2017; SPEC §2", Links: []Link{linkBooklet},
		},
		{
			ID: "libretto-computo-ridotto", Title: "Computo al 75% per pensionati, studenti, disoccupati",
			Text: "I compensi pagati a prestatori titolari di pensione di vecchiaia o di invalidità, a giovani studenti con meno di 25 anni, " +
				"a disoccupati e a percettori di prestazioni di sostegno del reddito sono computati al 75% del loro importo ai fini del limite " +
				"annuo dell'utilizzatore. Il prestatore dichiara la propria categoria al momento della registrazione.",
			Source: "art. 54-bis c. 8 D.L. 50/2017; SPEC §2", Links: []Link{linkWorker},
		},
		{
			ID: "libretto-divieto", Title: "Chi non si può pagare con il Libretto Famiglia: ex dipendenti",
			Text: "Non si può usare il Libretto Famiglia con un prestatore che è stato proprio dipendente o collaboratore coordinato e " +
				"continuativo negli ultimi sei mesi. L'utilizzatore lo dichiara quando comunica la prestazione.",
			Source: "art. 54-bis D.L. 50/2017; SPEC §2", Links: []Link{linkBooklet},
		},
		{
			ID: "libretto-pagamento", Title: "Quando e come viene pagato il prestatore",
			Text: "L'INPS paga al prestatore le prestazioni comunicate entro il giorno 15 del mese successivo, con accredito sull'IBAN indicato " +
				"dal prestatore. Il prestatore senza IBAN è pagato con bonifico domiciliato presso gli uffici postali: la commissione di 2,60 " +
				"euro è trattenuta una volta per ogni pagamento. Il prospetto annuale dei compensi riepiloga quanto ricevuto.",
			Source: "art. 54-bis D.L. 50/2017; SPEC §2", Links: []Link{linkWorker},
		},
		{
			ID: "eredi-sezione", Title: "La sezione eredi del Libretto Famiglia: che cosa può fare l'erede",
			Text: "In caso di decesso dell'utilizzatore (dante causa), l'erede può chiedere il rimborso delle somme versate dal defunto e non " +
				"utilizzate per pagare prestazioni, e inserire le prestazioni lavorative eseguite prima del decesso e non inserite dal defunto, " +
				"così che l'INPS paghi il compenso al lavoratore e accrediti la contribuzione. Si accede selezionando \"Erede - Libretto Famiglia\" " +
				"nel Portale delle Prestazioni Occasionali.",
			Source: "msg. INPS 2320/2026; msg. INPS 1908/2019", Links: []Link{linkHeir},
		},
		{
			ID: "eredi-registrazione", Title: "Come registrarsi come erede: legittimo o testamentario",
			Text: "L'erede registra la pratica indicando il codice fiscale del defunto, la data del decesso e se è erede legittimo o " +
				"testamentario. L'erede testamentario allega il testamento in PDF o immagine, di al massimo 10 MiB. Tutti gli eredi dello " +
				"stesso defunto condividono lo stesso libretto: la prima pratica registra la data del decesso e una pratica successiva con " +
				"una data diversa è respinta finché un operatore INPS non la corregge.",
			Source: "msg. INPS 2320/2026; SPEC §2", Links: []Link{linkHeir},
		},
		{
			ID: "eredi-rimborso", Title: "Come chiedere il rimborso del saldo del libretto del defunto (erede)",
			Text: "L'erede chiede il rimborso dell'intero saldo disponibile del libretto del defunto sul proprio IBAN. Il rimborso è pagato solo " +
				"dopo che un operatore INPS ha convalidato la dichiarazione dell'erede; l'operatore può respingerlo e in tal caso la somma torna " +
				"disponibile sul libretto. Per ogni libretto si può chiedere un solo rimborso: una seconda richiesta, di qualunque erede, è rifiutata.",
			Source: "msg. INPS 2320/2026; SPEC §2", Links: []Link{linkHeir},
		},
		{
			ID: "eredi-prestazioni", Title: "Come inserire le prestazioni ricevute dal defunto prima del decesso (prestazioni pregresse)",
			Text: "L'erede può inserire le prestazioni ricevute dall'utilizzatore deceduto prima del decesso e mai comunicate: la data di fine non può essere " +
				"successiva al decesso, l'erede non può essere il prestatore e dichiara di non conoscere rapporti di lavoro in corso o cessati " +
				"da meno di sei mesi con il prestatore. Valgono i limiti annui, il saldo e la regola dei titoli; non vale la scadenza del giorno 3.",
			Source: "msg. INPS 2320/2026; SPEC §2", Links: []Link{linkHeir},
		},
		{
			ID: "eredi-riepilogo", Title: "Riepilogo delle operazioni effettuate in qualità di erede",
			Text: "Tra le card \"Tutte le attività dedicate a te\" si trovano i dati di dettaglio delle prestazioni, il prospetto annuale dei " +
				"compensi e il riepilogo delle operazioni già effettuate in qualità di erede, in ordine e con il loro esito.",
			Source: "msg. INPS 2320/2026", Links: []Link{linkHeirLog},
		},
		{
			ID: "accesso-identita", Title: "Come si accede ai servizi: SPID, CIE, CNS, eIDAS e dati in MyINPS",
			Text: "Ci si autentica sul sito www.inps.it con la propria identità digitale: SPID di almeno livello 2, CIE di livello 3, CNS o eIDAS. " +
				"I dati anagrafici e di contatto si inseriscono e aggiornano solo nell'area riservata MyINPS: verificare residenza e contatti " +
				"prima di accedere.",
			Source: "msg. INPS 2320/2026; msg. INPS 2701/2024", Links: []Link{linkBooklet, linkFamily},
		},
		{
			ID: "portale-cosa-e", Title: "Che cos'è il Portale delle Famiglie INPS",
			Text: "Il Portale delle Famiglie è la piattaforma integrata della genitorialità, attiva da giugno 2023 e finanziata dal PNRR: mostra " +
				"in un solo posto lo stato di lavorazione delle domande, i pagamenti, le informazioni sui figli minori e il valore dell'ISEE, se " +
				"presente, con informazioni, consulenza, suggerimenti e notizie per i genitori.",
			Source: "msg. INPS 1349/2023; determinazione del Direttore generale INPS n. 1/2022", Links: []Link{linkFamily},
		},
		{
			ID: "portale-accesso", Title: "Come accedere al Portale delle Famiglie",
			Text: "Dal sito INPS si cerca \"Portale delle Famiglie\", si sceglie il servizio e si clicca su \"Utilizza il servizio\"; l'accesso " +
				"avviene con SPID di livello 2 o superiore, Carta di identità elettronica (CIE) o Carta Nazionale dei Servizi (CNS).",
			Source: "seed: Portale delle Famiglie INPS", Links: []Link{linkFamily},
		},
		{
			ID: "portale-bonus-sociali", Title: "Informazioni Bonus Sociali: la data di presentazione della DSU",
			Text: "La sezione \"Informazioni Bonus Sociali\" del Portale delle Famiglie mostra la data effettiva di trasmissione della propria DSU " +
				"(dichiarazione sostitutiva unica), che determina il diritto alla fruizione del bonus sociale.",
			Source: "msg. INPS 1349/2023", Links: []Link{linkFamily},
		},
		{
			ID: "portale-servizi", Title: "Quali prestazioni mostra il Portale delle Famiglie",
			Text: "Il Portale integra i dati su Assegno Unico Universale, bonus asilo nido, assegno temporaneo per i figli minori, assegno di " +
				"natalità (bonus bebè), bonus baby-sitting e centri estivi, e dal 2022 le prestazioni di maternità: congedo parentale anche a " +
				"ore, congedo di maternità e di paternità, assegno di maternità dello Stato, riposi giornalieri per allattamento.",
			Source: "msg. INPS 1263/2022; msg. INPS 4640/2022", Links: []Link{linkFamily},
		},
		{
			ID: "portale-simulatori", Title: "Simulatori e assistente virtuale del Portale delle Famiglie",
			Text: "Il Portale offre i simulatori del bonus asilo nido e dell'Assegno Unico, che proiettano l'importo spettante in base al valore " +
				"ISEE, e un assistente virtuale che dà informazioni sintetiche sull'accesso alle prestazioni e sulla loro disciplina.",
			Source: "msg. INPS 1263/2022", Links: []Link{linkAUU, linkNido, linkAssistant},
		},
		{
			ID: "portale-suggerimenti", Title: "Suggerimenti personalizzati del Portale delle Famiglie",
			Text: "In base ai dati in possesso dell'INPS il Portale suggerisce le domande che la famiglia potrebbe presentare: per esempio il " +
				"bonus asilo nido per un figlio con meno di 3 anni, l'Assegno Unico se non risulta una domanda, il bonus nuovi nati dopo una " +
				"nascita, e il rinnovo dell'ISEE mancante o in scadenza entro 30 giorni.",
			Source: "seed: Portale delle Famiglie INPS; SPEC §6", Links: []Link{linkFamily},
		},
		{
			ID: "portale-isee-libretto", Title: "ISEE e Libretto Famiglia nel Portale delle Famiglie",
			Text: "Il Portale è integrato con il sistema ISEE e con il Libretto Famiglia: il cittadino può consultare il proprio ISEE o chiederne " +
				"uno nuovo, e vedere nella stessa pagina il saldo del Libretto Famiglia e le prestazioni comunicate.",
			Source: "seed: Portale delle Famiglie INPS", Links: []Link{linkFamily, linkBooklet},
		},
		{
			ID: "isee-dsu", Title: "Come si presenta la DSU per avere l'ISEE e quanto vale",
			Text: "L'ISEE si ottiene presentando la DSU (dichiarazione sostitutiva unica): online sul sito INPS, anche in modalità precompilata, " +
				"con la propria identità digitale, oppure tramite un CAF o il Comune. L'ISEE ordinario è valido fino al 31 dicembre dell'anno in " +
				"cui la DSU è presentata: per non perdere gli importi pieni delle prestazioni il rinnovo va fatto ogni anno, con una nuova DSU. Senza ISEE l'Assegno Unico " +
				"è pagato nella misura minima.",
			Source: "D.P.C.M. 159/2013; D.L. 34/2019 art. 28-bis", Links: []Link{linkFamily},
		},
		{
			ID: "bonus-nuovi-nati", Title: "Bonus nuovi nati (bonus bebè) di 1.000 euro",
			Text: "Per ogni figlio nato o adottato dal 1° gennaio 2025 spetta un bonus una tantum di 1.000 euro, se l'ISEE del nucleo non supera " +
				"40.000 euro. La domanda si presenta all'INPS entro 120 giorni dalla nascita o dall'ingresso in famiglia.",
			Source: "L. 207/2024 art. 1", Links: []Link{linkFamily},
		},
	}
	return append(ps, benefitPassages()...)
}

// benefitPassages write the AUU and bonus nido amounts of every year in the
// parameter tables, so the assistant never disagrees with the simulators.
func benefitPassages() []Passage {
	var ps []Passage
	for _, y := range simulators.Years() {
		a, _ := simulators.AUUTable(y)
		n, _ := simulators.NidoTable(y)
		ps = append(ps,
			Passage{
				ID: fmt.Sprintf("auu-importi-%d", y), Title: fmt.Sprintf("Assegno Unico Universale %d: importo per figlio in base all'ISEE", y),
				Text: fmt.Sprintf("Nel %d l'Assegno Unico per ogni figlio minorenne vale %s al mese con ISEE fino a %s e scende in modo lineare "+
					"fino a %s con ISEE pari o superiore a %s; senza ISEE spetta l'importo minimo. Per i figli maggiorenni fino a 21 anni va "+
					"da %s a %s. L'assegno spetta dal settimo mese di gravidanza fino ai 21 anni del figlio, senza limiti di età per i figli con disabilità.",
					y, euro(a.MinorMax.V), euro(a.LowerISEE.V), euro(a.MinorMin.V), euro(a.UpperISEE.V), euro(a.AdultMax.V), euro(a.AdultMin.V)),
				Source: a.MinorMax.Source, Links: []Link{linkAUU},
			},
			Passage{
				ID: fmt.Sprintf("auu-maggiorazioni-%d", y), Title: fmt.Sprintf("Maggiorazioni dell'Assegno Unico %d", y),
				Text: fmt.Sprintf("Maggiorazioni %d: +%d%% dell'importo per i figli con meno di un anno; +%d%% per i figli tra uno e tre anni nei "+
					"nuclei con almeno tre figli e ISEE fino a %s; da %s a %s per ogni figlio successivo al secondo; %s per figlio se la madre ha "+
					"meno di 21 anni; fino a %s per figlio minorenne se entrambi i genitori hanno reddito da lavoro; per i figli minorenni con "+
					"disabilità %s (media), %s (grave) o %s (non autosufficienza); %s al mese per i nuclei con quattro o più figli.",
					y, a.UnderOnePercent.V, a.ToddlerPercent.V, euro(a.ToddlerMaxISEE.V), euro(a.ThirdChildMax.V), euro(a.ThirdChildMin.V),
					euro(a.MotherUnder21.V), euro(a.TwoEarnersMax.V), euro(a.DisabilityMedia.V), euro(a.DisabilityGrave.V),
					euro(a.DisabilityNonAutosufficiente.V), euro(a.LargeFamily.V)),
				Source: a.MinorMax.Source + "; " + a.UnderOnePercent.Source, Links: []Link{linkAUU},
			},
			Passage{
				ID: fmt.Sprintf("bonus-nido-%d", y), Title: fmt.Sprintf("Bonus asilo nido %d: importi e fasce ISEE", y),
				Text: fmt.Sprintf("Nel %d il bonus asilo nido, per bambini fino a tre anni, vale %s all'anno con ISEE fino a %s, %s con ISEE fino "+
					"a %s e %s con ISEE superiore o senza ISEE. Per i bambini nati dal %s con ISEE fino a %s vale %s. È pagato in %d mensilità "+
					"(per %s: dieci da %s e l'ultima da %s), per la retta dell'asilo nido o per il supporto domiciliare ai bambini con gravi patologie.",
					y, euro(n.LowBand.V), euro(n.LowBandMaxISEE.V), euro(n.MiddleBand.V), euro(n.MiddleBandMaxISEE.V), euro(n.HighBand.V),
					domain.ItalianDate(n.EnhancedBornFrom.V), euro(n.EnhancedMaxISEE.V), euro(n.Enhanced.V), n.Instalments.V,
					euro(n.Enhanced.V), euro(n.Enhanced.V/n.Instalments.V), euro(n.Enhanced.V-n.Enhanced.V/n.Instalments.V*(n.Instalments.V-1))),
				Source: n.LowBand.Source + "; " + n.Enhanced.Source, Links: []Link{linkNido},
			},
		)
	}
	return ps
}

// euro writes cents as "1.234,56 euro".
func euro(cents int64) string {
	units, rest := cents/100, cents%100
	s := fmt.Sprint(units)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "." + s[i:]
	}
	return strings.TrimSpace(fmt.Sprintf("%s,%02d euro", s, rest))
}
