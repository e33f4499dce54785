//! Freeing large values off the thread the user waits on.
//!
//! A command's last steps drop its CRD sets and reports: trees of hundreds of thousands of nodes
//! freed one allocation at a time, a sixth of `build`'s main thread after the work is done.
//! Handed to another thread, they are freed while the command writes its output, or not at all
//! when the process exits first (which returns the memory at once).

/// Drops `value` on a short-lived background thread. Where no thread can be started, `spawn`
/// drops the closure, and the value with it, on this thread: as if this had not been called.
pub fn drop_in_background<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("nexus-drop".into())
        .spawn(move || drop(value));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// Tells a channel when it is dropped, and on which thread.
    struct Tell(mpsc::Sender<std::thread::ThreadId>);

    impl Drop for Tell {
        fn drop(&mut self) {
            let _ = self.0.send(std::thread::current().id());
        }
    }

    #[test]
    fn the_value_is_dropped_on_another_thread() {
        let (tx, rx) = mpsc::channel();
        drop_in_background(Tell(tx));
        let dropped_on = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the value is dropped");
        assert_ne!(dropped_on, std::thread::current().id());
    }
}
