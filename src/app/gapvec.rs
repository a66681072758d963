//! A sequence with a gap where it was last edited, for the editor's per-row tables.
//!
//! `Vec::insert` and `Vec::remove` near the top of a 100 000-row table move every later item
//! (megabytes per keystroke across the editor's tables). Here the items before the gap and the
//! items after it are two stacks: an edit first moves the gap to its row, one item at a time,
//! then pushes or pops. Edits where the last one was (an edit, its undo, its redo) cost nothing
//! more; an edit far away costs one pass over the rows between, as `Vec` always does.

/// Items `0..front.len()` are `front`; the rest are `back`, last item first.
#[derive(Debug, Clone)]
pub struct GapVec<T> {
    front: Vec<T>,
    back: Vec<T>,
}

impl<T> Default for GapVec<T> {
    fn default() -> Self {
        GapVec {
            front: Vec::new(),
            back: Vec::new(),
        }
    }
}

impl<T> GapVec<T> {
    pub fn len(&self) -> usize {
        self.front.len() + self.back.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Moves the gap to before item `at` (at most to the end).
    fn seek(&mut self, at: usize) {
        while self.front.len() > at {
            if let Some(item) = self.front.pop() {
                self.back.push(item);
            }
        }
        while self.front.len() < at {
            match self.back.pop() {
                Some(item) => self.front.push(item),
                None => break,
            }
        }
    }

    /// Inserts `item` at `at` (at most the end), shifting later items.
    pub fn insert(&mut self, at: usize, item: T) {
        self.seek(at);
        self.front.push(item);
    }

    /// Removes item `at`, shifting later items; `None` when there is none.
    pub fn remove(&mut self, at: usize) -> Option<T> {
        if at >= self.len() {
            return None;
        }
        self.seek(at);
        self.back.pop()
    }

    /// Moves item `from` to `to`, shifting those between.
    pub fn move_item(&mut self, from: usize, to: usize) {
        if from < self.len()
            && to < self.len()
            && let Some(item) = self.remove(from)
        {
            self.insert(to, item);
        }
    }

    /// Where item `i` is in `back` (`i` is past `front`); `None` past the end.
    fn back_at(&self, i: usize) -> Option<usize> {
        let j = i - self.front.len();
        (j < self.back.len()).then(|| self.back.len() - 1 - j)
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        if i < self.front.len() {
            self.front.get(i)
        } else {
            self.back_at(i).and_then(|k| self.back.get(k))
        }
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        if i < self.front.len() {
            self.front.get_mut(i)
        } else {
            self.back_at(i).and_then(|k| self.back.get_mut(k))
        }
    }

    /// The items in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + Clone {
        self.front.iter().chain(self.back.iter().rev())
    }

    /// Removes every item (keeping the memory for the next fill).
    pub fn clear(&mut self) {
        self.front.clear();
        self.back.clear();
    }
}

impl<T> Extend<T> for GapVec<T> {
    /// Appends at the end.
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        let end = self.len();
        self.seek(end);
        self.front.extend(items);
    }
}

impl<T> FromIterator<T> for GapVec<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        GapVec {
            front: items.into_iter().collect(),
            back: Vec::new(),
        }
    }
}

impl<T> From<Vec<T>> for GapVec<T> {
    fn from(front: Vec<T>) -> Self {
        GapVec {
            front,
            back: Vec::new(),
        }
    }
}

impl<T> std::ops::Index<usize> for GapVec<T> {
    type Output = T;

    fn index(&self, i: usize) -> &T {
        match self.get(i) {
            Some(item) => item,
            None => panic!("row {i} of a table of {}", self.len()),
        }
    }
}

impl<T> std::ops::IndexMut<usize> for GapVec<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        let len = self.len();
        match self.get_mut(i) {
            Some(item) => item,
            None => panic!("row {i} of a table of {len}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::Rng;

    /// Random inserts, removals, moves and writes give what a `Vec` gives, at every step.
    #[test]
    fn behaves_as_a_vec_under_random_edits() {
        let mut rng = Rng::new(5);
        let mut gap: GapVec<u64> = (0..50).collect();
        let mut vec: Vec<u64> = (0..50).collect();
        for step in 0..5_000u64 {
            let len = vec.len() as u64;
            let at = rng.below(len + 1) as usize;
            match rng.below(5) {
                0 => {
                    gap.insert(at, step + 1000);
                    vec.insert(at, step + 1000);
                }
                1 => {
                    let want = (at < vec.len()).then(|| vec.remove(at));
                    assert_eq!(gap.remove(at), want, "step {step}");
                }
                2 if len > 0 => {
                    let to = rng.below(len) as usize;
                    let from = at.min(vec.len() - 1);
                    let item = vec.remove(from);
                    vec.insert(to, item);
                    gap.move_item(from, to);
                }
                3 if at < vec.len() => {
                    vec[at] += 7;
                    gap[at] += 7;
                }
                _ => {
                    gap.extend([step]);
                    vec.push(step);
                }
            }
            assert_eq!(gap.len(), vec.len());
            assert_eq!(gap.iter().copied().collect::<Vec<_>>(), vec, "step {step}");
            let probe = rng.below(len + 2) as usize;
            assert_eq!(gap.get(probe), vec.get(probe), "step {step}");
        }
        assert_eq!(gap.iter().rev().count(), vec.len());
    }

    #[test]
    fn out_of_range_is_none_not_a_panic() {
        let mut gap: GapVec<u8> = GapVec::default();
        assert_eq!(gap.remove(0), None);
        assert_eq!(gap.get(3), None);
        gap.move_item(2, 0);
        gap.insert(9, 1);
        assert_eq!(gap.iter().copied().collect::<Vec<_>>(), vec![1]);
        gap.clear();
        gap.extend([4, 4, 4]);
        assert_eq!(gap.iter().copied().collect::<Vec<_>>(), vec![4, 4, 4]);
        assert!(gap.get_mut(3).is_none());
        // The largest index, with the gap at the start (every item after it).
        gap.insert(0, 9);
        assert_eq!(gap.remove(0), Some(9));
        assert_eq!(gap.get(usize::MAX), None);
        assert!(gap.get_mut(usize::MAX).is_none());
        assert_eq!(gap.get(0), Some(&4));
    }
}
