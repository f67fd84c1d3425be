package inkjot.demo;

import android.content.Context;
import android.graphics.Canvas;
import android.graphics.Color;
import android.graphics.Paint;
import android.graphics.Path;
import android.os.Handler;
import android.os.Looper;
import android.view.MotionEvent;
import android.view.View;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import inkjot.Candidate;
import inkjot.Options;
import inkjot.Recognizer;
import inkjot.Session;

/**
 * A writing surface: collects MotionEvents into strokes of a streaming {@link Session} (the
 * view's height is the writing area) and reports live candidates after each stroke and, while
 * the pen moves, at most every 150 ms. Recognition runs on a background thread.
 */
public final class InkView extends View {
    /** Receives candidates on the UI thread. */
    public interface Listener {
        void onCandidates(Candidate[] candidates);
    }

    private static final long LIVE_INTERVAL_MS = 150;

    private final Paint paint = new Paint(Paint.ANTI_ALIAS_FLAG);
    private final Path path = new Path();
    private final ExecutorService worker = Executors.newSingleThreadExecutor();
    private final Handler ui = new Handler(Looper.getMainLooper());
    private Recognizer recognizer;
    private Session session;
    private Listener listener;
    private long lastLive;

    public InkView(Context context) {
        super(context);
        paint.setColor(Color.BLACK);
        paint.setStyle(Paint.Style.STROKE);
        paint.setStrokeWidth(6f);
        paint.setStrokeCap(Paint.Cap.ROUND);
        paint.setStrokeJoin(Paint.Join.ROUND);
    }

    /** Uses {@code recognizer} (owned by the caller) and reports to {@code listener}. */
    public void attach(Recognizer recognizer, Listener listener) {
        this.recognizer = recognizer;
        this.listener = listener;
        restartSession();
    }

    /** Clears the ink (after the user picked a candidate). */
    public void clear() {
        path.reset();
        if (session != null) session.clear();
        invalidate();
    }

    /** Frees the session and stops the worker; call from the activity's onDestroy. */
    public void release() {
        worker.shutdown();
        if (session != null) session.close();
        session = null;
    }

    @Override
    protected void onSizeChanged(int w, int h, int oldw, int oldh) {
        super.onSizeChanged(w, h, oldw, oldh);
        restartSession();
    }

    private void restartSession() {
        if (recognizer == null || getHeight() == 0) return;
        if (session != null) session.close();
        session = recognizer.newSession(getHeight());
        path.reset();
        invalidate();
    }

    @Override
    public boolean onTouchEvent(MotionEvent e) {
        if (session == null) return false;
        switch (e.getActionMasked()) {
            case MotionEvent.ACTION_DOWN:
                path.moveTo(e.getX(), e.getY());
                session.addPoint(e.getX(), e.getY(), e.getEventTime());
                break;
            case MotionEvent.ACTION_MOVE:
                // Points the system batched since the last event first, then the current one.
                for (int i = 0; i < e.getHistorySize(); i++) {
                    path.lineTo(e.getHistoricalX(i), e.getHistoricalY(i));
                    session.addPoint(e.getHistoricalX(i), e.getHistoricalY(i), e.getHistoricalEventTime(i));
                }
                path.lineTo(e.getX(), e.getY());
                session.addPoint(e.getX(), e.getY(), e.getEventTime());
                if (e.getEventTime() - lastLive >= LIVE_INTERVAL_MS) {
                    lastLive = e.getEventTime();
                    requestCandidates();
                }
                break;
            case MotionEvent.ACTION_UP:
                path.lineTo(e.getX(), e.getY());
                session.addPoint(e.getX(), e.getY(), e.getEventTime());
                session.endStroke();
                requestCandidates();
                break;
            case MotionEvent.ACTION_CANCEL:
                session.endStroke();
                break;
            default:
                return false;
        }
        invalidate();
        return true;
    }

    private void requestCandidates() {
        final Session s = session;
        worker.execute(() -> {
            final Candidate[] c;
            try {
                c = s.candidates(new Options().nbest(5));
            } catch (IllegalStateException closed) {
                return; // the session was replaced (size change) or released meanwhile
            }
            ui.post(() -> {
                if (listener != null) listener.onCandidates(c);
            });
        });
    }

    @Override
    protected void onDraw(Canvas canvas) {
        super.onDraw(canvas);
        canvas.drawPath(path, paint);
    }
}
