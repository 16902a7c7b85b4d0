//! The review read from CSV, written to JSON and read back; its errors.

use super::*;
use crate::error::DataError;
use crate::table::Table;

fn t(text: &str, name: &str) -> Table {
    Table::from_str(text, name).unwrap()
}

fn sample() -> Review {
    let mut r = Review::from_studies(&t(
        "ref,first_author,year,design,etiology,country\n1,Smith,2001,rct,myeloma,UK\n2,Jones,2003,cohort,\"mixed; other\",US\n",
        "studies.csv",
    ))
    .unwrap();
    r.add_arms(&t(
        "study,arm,unit,n\n1,bkp,patients,20\n1,bkp,levels,31\n2,bkp,patients,12\n",
        "arms.csv",
    ))
    .unwrap();
    r.add_risk_of_bias(&t(
        "ref,blinding,random\n1,yes,not_reported\n2,no,not reported\n",
        "rob.csv",
    ))
    .unwrap();
    r.add_flow(&t(
        "step,count,note,box\nidentified,208,,records_identified\nincluded,2,refs 1 2,studies_included\n",
        "flow.csv",
    ))
    .unwrap();
    r.add_outcomes(&t(
        "outcome,label,timepoints\nvas,Pain VAS,post|end\nleak,Cement leakage,\n",
        "outcomes.csv",
    ))
    .unwrap();
    r.add_data(&t(
        "study,outcome,timepoint,status,m_pre,sd_pre,m_post,median_post,ni,xi,note\n1,vas,post,reported,7.1,1.2,3.3,,20,,\n2,vas,post,reported,6.9,0.1234567890123,,3,12,,median\n1,leak,,inferred,,,,,31,0,\n2,leak,,unknown,,,,,,,not recoverable\n",
        "data.csv",
    ))
    .unwrap();
    r
}

#[test]
fn csv_review_round_trips_through_json_losslessly() {
    let r = sample();
    assert_eq!(r.studies[0].label, "Smith 2001");
    assert_eq!(r.studies[1].etiology.as_deref(), Some("mixed; other"));
    assert_eq!(r.studies[0].characteristics["country"], "UK");
    assert_eq!(r.studies[0].arms[0].sizes["levels"], 31.0);
    assert_eq!(r.risk_of_bias.domains, ["blinding", "random"]);
    assert_eq!(
        r.risk_of_bias.judgements[3].judgement,
        Judgement::NotReported
    );
    assert_eq!(r.flow[0].prisma_box, Some(PrismaBox::RecordsIdentified));
    assert_eq!(r.data[3].status, Status::Unknown);
    assert_eq!(r.data[0].values["m_post"], Some(3.3));
    assert_eq!(r.data[1].values["m_post"], None);
    let json = r.to_json();
    let back = Review::from_json(&json, "review.json").unwrap();
    assert_eq!(back, r);
    assert_eq!(back.to_json(), json);
}

#[test]
fn review_errors_name_the_problem() {
    let r = sample();
    let data = |csv: &str| r.clone().add_data(&t(csv, "d.csv")).unwrap_err();
    let rob = |csv: &str| r.clone().add_risk_of_bias(&t(csv, "rob.csv")).unwrap_err();
    let e = data("study,outcome,xi,ni\n9,leak,1,2\n");
    assert!(matches!(e, DataError::UnknownStudy { .. }), "{e}");
    let e = rob("ref,blinding\n1,maybe\n");
    assert!(matches!(e, DataError::Judgement { .. }), "{e}");
    let e = rob("ref,blinding\n1,yes\n2,high\n");
    assert!(matches!(e, DataError::Invalid { .. }), "{e}");
    let e = Review::from_studies(&t("ref,year\n1,2001\n1,2002\n", "s.csv")).unwrap_err();
    assert!(matches!(e, DataError::DuplicateStudy { .. }), "{e}");
    let e = data("study,outcome,status,xi\n1,leak,maybe,3\n");
    assert!(matches!(e, DataError::Invalid { .. }), "{e}");
    let e = data("study,outcome,xi\n1,nope,3\n");
    assert!(matches!(e, DataError::Plan { .. }), "{e}");
    let e = data("study,outcome,xi\n1,leak,NaN\n");
    assert!(matches!(e, DataError::NotFinite { .. }), "{e}");
}

/// Guards the one judgement vocabulary: every spelling the CSV readers and
/// the figures used to accept separately, and unclear or na beside either
/// scale.
#[test]
fn judgements_read_every_spelling_and_unclear_fits_either_scale() {
    for (raw, j) in [
        ("yes", Judgement::Yes),
        ("Y", Judgement::Yes),
        ("n", Judgement::No),
        ("not reported", Judgement::NotReported),
        ("NR", Judgement::NotReported),
        ("Low", Judgement::Low),
        ("some-concerns", Judgement::SomeConcerns),
        ("some", Judgement::SomeConcerns),
        ("high", Judgement::High),
        ("unclear", Judgement::Unclear),
        ("?", Judgement::Unclear),
        ("na", Judgement::NotApplicable),
        ("not applicable", Judgement::NotApplicable),
    ] {
        assert_eq!(Judgement::parse(raw), Some(j), "{raw}");
    }
    assert_eq!(Judgement::parse(""), None);
    let mut r = sample();
    r.add_risk_of_bias(&t(
        "study,domain,judgement
1,blinding,yes
2,blinding,unclear
1,random,high
2,random,na
",
        "rob.csv",
    ))
    .unwrap();
    assert_eq!(r.risk_of_bias.judgements[1].judgement, Judgement::Unclear);
    assert_eq!(
        r.risk_of_bias.judgements[3].judgement,
        Judgement::NotApplicable
    );
    let back = Review::from_json(&r.to_json(), "review.json").unwrap();
    assert_eq!(back, r);
    assert!(r.to_json().contains("\"judgement\": \"not_applicable\""));
}
