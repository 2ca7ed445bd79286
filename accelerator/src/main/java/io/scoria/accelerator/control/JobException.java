package io.scoria.accelerator.control;

/** A job call refused: the root of the job model's exceptions. */
public class JobException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public JobException(String message) {
        super(message);
    }

    /** No job has that id (or the id is not a job id at all). REST: 404. */
    public static final class NotFound extends JobException {
        private static final long serialVersionUID = 1L;

        public NotFound(String message) {
            super(message);
        }
    }

    /** The queue of waiting jobs is full; try again when jobs finish. REST: 429. */
    public static final class QueueFull extends JobException {
        private static final long serialVersionUID = 1L;

        public QueueFull(String message) {
            super(message);
        }
    }

    /** The job is not in a state that allows the call (e.g. cancelling a finished job). REST: 409. */
    public static final class WrongState extends JobException {
        private static final long serialVersionUID = 1L;

        public WrongState(String message) {
            super(message);
        }
    }
}
