//! The one layout of the text reports: the [`Layout`] each format implements to say how a
//! section looks, and [`render`], which walks the sections a format's [`Shape`] takes, in
//! its order, building each section's data once ([`crate::sections`]).

use runglass_model::receipt::{FileChange, FileRead, Receipt};

use crate::review;
use crate::sections::{
    self, Counts, Cut, Docker, Files, Git, Network, NotCounted, Observation, Outside, Processes, Risk, Timeline,
};
use crate::shape::{Section, Shape};

/// The receipt a report is written from, and the text written so far.
pub(crate) struct Page<'a> {
    pub r: &'a Receipt,
    pub o: String,
}

/// How one format writes each section it takes. A section a format does not take is
/// never asked for; one whose data is `Option` is skipped when the receipt has none.
pub(crate) trait Layout {
    const SHAPE: &'static Shape;
    fn head(_: &mut Page) {}
    fn counts(_: &mut Page, _: &Counts) {}
    fn risk(_: &mut Page, _: &Risk) {}
    fn files(_: &mut Page, _: &Files) {}
    fn not_counted(_: &mut Page, _: &NotCounted) {}
    fn diffs(_: &mut Page, _: &Cut<&FileChange>) {}
    fn outside(_: &mut Page, _: &Outside) {}
    fn reads(_: &mut Page, _: &Cut<&FileRead>) {}
    fn git(_: &mut Page, _: &Git) {}
    fn processes(_: &mut Page, _: &Processes) {}
    fn network(_: &mut Page, _: &Network) {}
    fn docker(_: &mut Page, _: &Docker) {}
    fn review(_: &mut Page, _: &[review::Item]) {}
    fn timeline(_: &mut Page, _: &Timeline) {}
    fn output(_: &mut Page, _: &sections::Output) {}
    fn observation(_: &mut Page, _: &Observation) {}
    fn foot(_: &mut Page) {}
}

/// The report `L` writes of `r`: each section of `L::SHAPE`, in order, taken from `r` once.
pub(crate) fn render<L: Layout>(r: &Receipt) -> String {
    let shape = L::SHAPE;
    let mut page = Page { r, o: String::new() };
    let p = &mut page;
    for section in shape.sections {
        match section {
            Section::Head => L::head(p),
            Section::Counts => L::counts(p, &sections::counts(r)),
            Section::Risk => L::risk(p, &sections::risk(r, shape)),
            Section::Files => L::files(p, &sections::files(r, shape)),
            Section::NotCounted => sections::not_counted(r).iter().for_each(|n| L::not_counted(p, n)),
            Section::Diffs => sections::diffs(r, shape).iter().for_each(|d| L::diffs(p, d)),
            Section::Outside => sections::outside(r, shape).iter().for_each(|o| L::outside(p, o)),
            Section::Reads => sections::reads(r, shape).iter().for_each(|f| L::reads(p, f)),
            Section::Git => sections::git(r, shape).iter().for_each(|g| L::git(p, g)),
            Section::Processes => L::processes(p, &sections::processes(r, shape)),
            Section::Network => L::network(p, &sections::network(r, shape)),
            Section::Docker => sections::docker(r, shape).iter().for_each(|d| L::docker(p, d)),
            Section::Review => L::review(p, &review::review(r, shape.review)),
            Section::Timeline => sections::timeline(r, shape).iter().for_each(|t| L::timeline(p, t)),
            Section::Output => L::output(p, &sections::output(r)),
            Section::Observation => L::observation(p, &sections::observation(r, shape)),
            Section::Foot => L::foot(p),
        }
    }
    page.o
}
