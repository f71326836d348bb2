//! Allocation sites: a site is an allocating stack folded to its top user frames (Node's own
//! frames and native code left out), so one leaking line is one site whatever path led to it.

use std::collections::HashMap;

use super::profile::{Frame, StackProfile};

/// The live bytes one site holds in a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteLive {
    /// The site's frames, allocating frame first.
    pub frames: Vec<Frame>,
    pub live_bytes: f64,
}

impl SiteLive {
    /// What tells the site apart: its frames.
    pub fn key(&self) -> String {
        self.frames
            .iter()
            .map(Frame::describe)
            .collect::<Vec<_>>()
            .join(" < ")
    }
}

/// The sites of a profile, each folded to at most `depth` user frames; largest first.
pub fn sites(profile: &StackProfile, depth: usize) -> Vec<SiteLive> {
    let mut by_key: HashMap<Vec<u32>, f64> = HashMap::new();
    for stack in &profile.stacks {
        if stack.bytes > 0.0 {
            *by_key
                .entry(fold(profile, &stack.frames, depth.max(1)))
                .or_default() += stack.bytes;
        }
    }
    let mut sites: Vec<SiteLive> = by_key
        .into_iter()
        .map(|(ids, live_bytes)| SiteLive {
            frames: ids
                .iter()
                .map(|&f| profile.frames[f as usize].clone())
                .collect(),
            live_bytes,
        })
        .collect();
    sites.sort_by(|a, b| {
        b.live_bytes
            .total_cmp(&a.live_bytes)
            .then_with(|| a.key().cmp(&b.key()))
    });
    sites
}

/// The site of a stack (allocating frame first): its innermost `depth` user frames; a stack
/// with no user frame is its innermost frame alone (Node's or V8's own).
fn fold(profile: &StackProfile, stack: &[u32], depth: usize) -> Vec<u32> {
    let user: Vec<u32> = stack
        .iter()
        .copied()
        .filter(|&f| profile.frames[f as usize].is_user())
        .take(depth)
        .collect();
    if user.is_empty() {
        return stack.first().copied().into_iter().collect();
    }
    user
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allocation::profile::parse_profile;
    use crate::allocation::profile::tests::two_callers;

    #[test]
    fn stacks_fold_to_their_user_frames_and_sum_per_site() {
        let profile = parse_profile(&two_callers(), 1000.0).unwrap();
        let found = sites(&profile, 1);
        // With one frame, both callers of handle() are one site; Node's frame is left out.
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].live_bytes, 4000.0);
        assert_eq!(found[0].key(), "handle (file:///srv/app.js:12:5)");
        assert_eq!(found[1].key(), "(GC)");
        // With two, the callers tell them apart.
        let found = sites(&profile, 2);
        assert_eq!(found.len(), 3);
        assert_eq!(
            found[0].key(),
            "handle (file:///srv/app.js:12:5) < main (file:///srv/app.js:3:5)"
        );
        assert_eq!(found[0].live_bytes, 3000.0);
    }
}
