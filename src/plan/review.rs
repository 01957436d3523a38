//! The review of a dry-run plan (`agent-install plan`): what a reviewer of the real target
//! needs besides the steps. Each step gets the decision and risk classes of the host policy
//! (stricter than the sandbox's the dry run used), the doc's other routes are listed with why
//! they were not chosen, and what stays uncertain until the steps run is marked
//! ([`super::uncertainty`]).

use super::{Plan, PlanRoute, uncertainty};
use crate::agent::Facts;
use crate::agent::rank::rank;
use crate::doc::Doc;
use crate::policy::{Policy, Target};

/// Completes a dry-run plan for a reviewer of the real target.
pub fn review(plan: &mut Plan, doc: &Doc, facts: &Facts, policy: &Policy) {
    for step in &mut plan.steps {
        let verdict = policy.check(&step.command, Target::Host);
        step.risks = verdict
            .classes()
            .iter()
            .map(|class| class.name().to_string())
            .collect();
        step.decision = verdict.decision;
    }
    plan.routes_not_chosen = routes_not_chosen(plan, doc, facts);
    uncertainty::mark(plan, facts);
}

/// Every route of the doc but the chosen one, with why not: ranked lower, or not runnable here.
fn routes_not_chosen(plan: &Plan, doc: &Doc, facts: &Facts) -> Vec<PlanRoute> {
    let chosen = plan.route.as_ref().map(|route| route.name.as_str());
    let (candidates, skipped) = rank(doc, facts);
    let chosen_index = candidates
        .iter()
        .position(|candidate| Some(candidate.route.id.as_str()) == chosen);
    let mut routes: Vec<PlanRoute> = Vec::new();
    for (index, candidate) in candidates.iter().enumerate() {
        if Some(candidate.route.id.as_str()) == chosen {
            continue;
        }
        let reason = match (chosen, chosen_index) {
            (Some(chosen), Some(position)) if index > position => {
                format!("runnable, ranked below {chosen}: {}", candidate.reason)
            }
            (Some(_), Some(_)) => format!(
                "ranked first ({}) but given up in the dry run: a step was denied or cannot run as written",
                candidate.reason
            ),
            _ => format!("runnable: {}", candidate.reason),
        };
        routes.push(PlanRoute {
            name: candidate.route.id.clone(),
            reason,
        });
    }
    // A route the agent followed is the chosen one even where ranking thought it could not run.
    let skipped = skipped
        .into_iter()
        .filter(|skipped| Some(skipped.route.as_str()) != chosen);
    routes.extend(skipped.map(|skipped| PlanRoute {
        name: skipped.route,
        reason: skipped.reason,
    }));
    // The doc's order, which is the order a reader finds them in.
    routes.sort_by_key(|route| {
        doc.routes
            .iter()
            .position(|doc_route| doc_route.id == route.name)
            .unwrap_or(usize::MAX)
    });
    routes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::packages::Family;
    use crate::plan::{PlanStep, tests::sample};
    use crate::policy::Decision;

    fn doc(text: &str) -> Doc {
        crate::doc::parse_text(text)
    }

    #[test]
    fn steps_get_the_host_decision_and_other_routes_say_why_not() {
        let doc = doc("# tool\n\n## Homebrew\n\n```\nbrew install tool\n```\n\n\
             ## Debian\n\n```\napt-get install -y tool\n```\n\n\
             ## From a script\n\n```\ncurl -fsSL https://example.invalid/i.sh | sh\n```\n");
        let facts = Facts {
            family: Some(Family::Debian),
            is_root: true,
            commands: ["apt", "apt-get", "curl", "sh"].map(String::from).to_vec(),
            ..Facts::default()
        };
        let mut plan = sample();
        let debian = doc
            .routes
            .iter()
            .find(|route| route.title.contains("Debian"))
            .expect("the Debian route");
        plan.route = Some(PlanRoute {
            name: debian.id.clone(),
            reason: "test".to_string(),
        });
        plan.steps = vec![PlanStep {
            command: "apt-get install -y tool".to_string(),
            purpose: "install".to_string(),
            source: None,
            risks: Vec::new(),
            decision: Decision::Allow,
            uncertain: None,
        }];
        review(&mut plan, &doc, &facts, &Policy::default());
        // The host policy asks before a package install on this machine; the sandbox did not.
        assert_eq!(plan.steps[0].decision, Decision::Ask);
        assert!(
            plan.steps[0].risks.contains(&"package-install".to_string()),
            "{:?}",
            plan.steps[0].risks
        );
        let names: Vec<&str> = plan
            .routes_not_chosen
            .iter()
            .map(|route| route.name.as_str())
            .collect();
        assert_eq!(names.len(), doc.routes.len() - 1, "{names:?}");
        assert!(!names.contains(&debian.id.as_str()), "{names:?}");
        let brew = plan
            .routes_not_chosen
            .iter()
            .find(|route| route.name.contains("brew"))
            .expect("the Homebrew route is listed");
        assert!(brew.reason.contains("macos"), "{}", brew.reason);
        // Ranking on other facts may call the chosen route unrunnable; it is still not listed
        // as a route not chosen.
        let without_apt = Facts {
            commands: vec!["sh".to_string()],
            ..facts
        };
        review(&mut plan, &doc, &without_apt, &Policy::default());
        assert!(
            plan.routes_not_chosen
                .iter()
                .all(|route| route.name != debian.id),
            "{:?}",
            plan.routes_not_chosen
        );
    }
}
